using Crm.Grains;
using Crm.Providers;
using Microsoft.Extensions.Options;

namespace Crm.Api;

/// <summary>Telegram posts the updates of a tenant's bot here (webhook mode).</summary>
public static class TelegramWebhooks
{
    public static void MapTelegramWebhooks(this IEndpointRouteBuilder app)
    {
        var telegram = app.MapGroup("/webhooks/telegram/{tenant}").WithTags("Webhooks").AllowAnonymous();
        telegram.MapPost("", ReceiveUpdateAsync);
    }

    /// <summary>
    /// Updates that are not a person's message (edits, button presses, group posts) are acknowledged and dropped;
    /// a message is acknowledged once durably enqueued (a non-2xx makes Telegram deliver it again).
    /// </summary>
    public static async Task<IResult> ReceiveUpdateAsync(string tenant, HttpRequest request, IOptionsMonitor<ChannelOptions> options, IInboundGateway gateway)
    {
        if (options.CurrentValue.For(tenant).Telegram is not { Polls: false } telegram)
            return Http.NotFound("Telegram webhooks are not configured for this tenant.");
        if (!TelegramSecret.IsValid(telegram.SecretToken, request.Headers[TelegramSecret.Header]))
            return TypedResults.Problem($"The {TelegramSecret.Header} header is missing or wrong.", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");
        using var reader = new StreamReader(request.Body);
        if (TelegramUpdateParser.Deserialize(await reader.ReadToEndAsync(request.HttpContext.RequestAborted)) is not { } update)
            return Http.Invalid("body", "Not a Telegram update.");

        if (TelegramUpdateParser.Parse(tenant, update) is { } message)
            await gateway.AcceptMessageAsync(message);
        return TypedResults.Ok();
    }
}
