using Crm.Grains;
using Crm.Providers;
using Crm.Providers.Meta;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Crm.Api;

/// <summary>
/// WhatsApp Cloud API and Instagram webhooks of one tenant. Register
/// <c>{PublicBaseUrl}/webhooks/meta/{tenantId}</c> as the callback URL with the tenant's verify token.
/// </summary>
public static partial class MetaWebhooks
{
    public static void MapMetaWebhooks(this IEndpointRouteBuilder app)
    {
        var meta = app.MapGroup("/webhooks/meta").WithTags("Webhooks").AllowAnonymous();
        meta.MapGet("/{tenant}", Verify);
        meta.MapPost("/{tenant}", ReceiveAsync);
    }

    public static Results<ContentHttpResult, ProblemHttpResult> Verify(
        string tenant,
        [FromQuery(Name = "hub.mode")] string? mode,
        [FromQuery(Name = "hub.verify_token")] string? verifyToken,
        [FromQuery(Name = "hub.challenge")] string? challenge,
        IOptionsMonitor<ChannelOptions> options)
    {
        if (SettingsOf(tenant, options) is not { } meta)
            return NotConfigured();
        return MetaHandshake.Answer(meta, mode, verifyToken, challenge) is { } answer
            ? TypedResults.Text(answer, "text/plain")
            : TypedResults.Problem("The verify token does not match.", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");
    }

    /// <summary>The signature is checked on the raw body before anything is read; 200 only once every message and status is durable.</summary>
    public static async Task<Results<Ok, ProblemHttpResult>> ReceiveAsync(
        string tenant, HttpRequest request, IOptionsMonitor<ChannelOptions> options, [FromServices] IInboundGateway gateway, ILoggerFactory loggers)
    {
        if (SettingsOf(tenant, options) is not { } meta)
            return NotConfigured();
        var body = await RawBodyAsync(request);
        if (!MetaSignature.IsValid(meta.AppSecret, body, request.Headers[MetaSignature.HeaderName]))
        {
            LogBadSignature(loggers.CreateLogger(typeof(MetaWebhooks)), tenant);
            return TypedResults.Problem("The X-Hub-Signature-256 header is missing or wrong.", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");
        }
        if (MetaNotification.Parse(tenant, meta, body) is not { } notification)
            return TypedResults.Problem("The body is not a Meta webhook notification.", statusCode: StatusCodes.Status400BadRequest, title: "The request is not valid.");

        foreach (var message in notification.Messages)
            await gateway.AcceptMessageAsync(message);
        foreach (var status in notification.Statuses)
            await gateway.AcceptStatusAsync(status);
        return TypedResults.Ok();
    }

    private static async Task<byte[]> RawBodyAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        return buffer.ToArray();
    }

    /// <summary>The tenant's Meta settings, if it has a usable app secret; an empty secret would accept anyone's signature.</summary>
    private static MetaSettings? SettingsOf(string tenant, IOptionsMonitor<ChannelOptions> options) =>
        Ids.IsWellFormed(tenant) && options.CurrentValue.For(tenant).Meta is { AppSecret.Length: > 0 } meta ? meta : null;

    private static ProblemHttpResult NotConfigured() =>
        TypedResults.Problem("No such webhook.", statusCode: StatusCodes.Status404NotFound, title: "Not found");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Meta webhook for tenant {Tenant} refused: bad or missing signature")]
    private static partial void LogBadSignature(ILogger logger, string tenant);
}
