using Crm.Grains;
using Crm.Providers;
using Microsoft.Extensions.Options;

namespace Crm.Api;

/// <summary>Twilio calls these for inbound SMS and WhatsApp messages and for the delivery status of ours.</summary>
public static class TwilioWebhooks
{
    private const string EmptyTwiml = "<Response></Response>";

    public static void MapTwilioWebhooks(this IEndpointRouteBuilder app)
    {
        var twilio = app.MapGroup("/webhooks/twilio/{tenant}").WithTags("Webhooks").AllowAnonymous();
        twilio.MapPost("", ReceiveMessageAsync);
        twilio.MapPost("/status", ReceiveStatusAsync);
    }

    /// <summary>Answers Twilio's 200 (empty TwiML, so no auto-reply) only once the message is durably enqueued.</summary>
    public static async Task<IResult> ReceiveMessageAsync(string tenant, HttpRequest request, IOptionsMonitor<ChannelOptions> options, IInboundGateway gateway)
    {
        var (rejection, form) = await VerifyAsync(tenant, request, options.CurrentValue);
        if (rejection is not null)
            return rejection;
        if (TwilioWebhookParser.ParseMessage(tenant, form, out var error) is not { } message)
            return Http.Invalid("From", error ?? "Not a Twilio message.");

        await gateway.AcceptMessageAsync(message);
        return TypedResults.Text(EmptyTwiml, "text/xml");
    }

    /// <summary>Statuses of inbound messages and statuses we do not know are acknowledged and ignored, so Twilio does not retry them.</summary>
    public static async Task<IResult> ReceiveStatusAsync(string tenant, string? messageId, HttpRequest request, IOptionsMonitor<ChannelOptions> options, IInboundGateway gateway, TimeProvider clock)
    {
        var (rejection, form) = await VerifyAsync(tenant, request, options.CurrentValue);
        if (rejection is not null)
            return rejection;

        if (TwilioWebhookParser.ParseStatus(tenant, form, messageId, clock.Now()) is { } report)
            await gateway.AcceptStatusAsync(report);
        return TypedResults.Text(EmptyTwiml, "text/xml");
    }

    /// <summary>The form, once the signature over our public URL and every field proves it came from the tenant's Twilio account.</summary>
    private static async Task<(IResult? Rejection, IReadOnlyDictionary<string, string> Form)> VerifyAsync(string tenant, HttpRequest request, ChannelOptions options)
    {
        if (options.For(tenant).Twilio is not { AuthToken.Length: > 0 } twilio)
            return (Http.NotFound("Twilio is not configured for this tenant."), Empty);
        using var reader = new StreamReader(request.Body);
        var body = request.HasFormContentType ? await reader.ReadToEndAsync(request.HttpContext.RequestAborted) : "";
        if (TwilioForm.Parse(body) is not { } form)
            return (Http.Invalid("body", "Not a form-encoded body."), Empty);
        var url = TwilioSignature.PublicUrl(options.PublicBaseUrl, request.PathBase.ToUriComponent() + request.Path.ToUriComponent() + request.QueryString.ToUriComponent());
        if (!TwilioSignature.IsValid(url, form, twilio.AuthToken, request.Headers[TwilioSignature.Header]))
            return (TypedResults.Problem("The X-Twilio-Signature header is missing or does not match.", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden"), Empty);
        return (null, form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal));
    }

    private static readonly Dictionary<string, string> Empty = [];
}
