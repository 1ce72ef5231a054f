using System.Security.Claims;
using Crm.Providers;
using Microsoft.Extensions.Options;

namespace Crm.Api;

/// <summary>One channel of the caller's tenant as the admin page shows it: no secret, only whether it is set.</summary>
public sealed record ChannelStatus(string Channel, bool Configured, IReadOnlyList<string> Transports, IReadOnlyDictionary<string, string?> Settings, IReadOnlyList<string> RegisterUrls);

public static class ChannelEndpoints
{
    public static void MapChannelEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/channels").WithTags("Channels").Require(Permission.ManageChannels);
        api.MapGet("/", List);
    }

    /// <summary>What is configured for the tenant and which webhook URLs to register with each provider.</summary>
    public static IResult List(IOptionsMonitor<ChannelOptions> options, ClaimsPrincipal user)
    {
        var tenantId = user.TenantId();
        var current = options.CurrentValue;
        var channels = current.For(tenantId);
        var hooks = current.PublicBaseUrl.TrimEnd('/') + "/webhooks";
        ChannelStatus[] items =
        [
            new("twilio", channels.Twilio is not null, ["sms", "whatsapp"], Settings(
                ("accountSid", channels.Twilio?.AccountSid), ("smsFrom", channels.Twilio?.SmsFrom), ("whatsAppFrom", channels.Twilio?.WhatsAppFrom),
                ("messagingServiceSid", channels.Twilio?.MessagingServiceSid), ("authToken", IsSet(channels.Twilio?.AuthToken))),
                [$"{hooks}/twilio/{tenantId}"]),
            new("telegram", channels.Telegram is not null, ["telegram"], Settings(
                ("mode", channels.Telegram?.Mode), ("botToken", IsSet(channels.Telegram?.BotToken)), ("secretToken", IsSet(channels.Telegram?.SecretToken))),
                channels.Telegram?.Polls == true ? [] : [$"{hooks}/telegram/{tenantId}"]),
            new("meta", channels.Meta is not null, ["whatsapp", "instagram"], Settings(
                ("whatsAppPhoneNumberId", channels.Meta?.WhatsAppPhoneNumberId), ("instagramAccountId", channels.Meta?.InstagramAccountId),
                ("appSecret", IsSet(channels.Meta?.AppSecret)), ("verifyToken", IsSet(channels.Meta?.VerifyToken)), ("accessToken", IsSet(channels.Meta?.AccessToken))),
                [$"{hooks}/meta/{tenantId}"]),
            new("email", channels.Email is not null, ["email"], Settings(
                ("from", channels.Email?.From), ("smtpHost", channels.Email?.SmtpHost), ("imapHost", channels.Email?.ImapHost),
                ("smtpPassword", IsSet(channels.Email?.SmtpPassword)), ("imapPassword", IsSet(channels.Email?.ImapPassword))),
                []),
            new("widget", channels.Widget is not null, ["website"], Settings(
                ("siteKey", channels.Widget?.SiteKey), ("tokenSecret", IsSet(channels.Widget?.TokenSecret)), ("siteSecret", IsSet(channels.Widget?.SiteSecret))),
                []),
        ];
        return TypedResults.Ok(new { publicBaseUrl = current.PublicBaseUrl, items });
    }

    private static string? IsSet(string? secret) => string.IsNullOrEmpty(secret) ? null : "(set)";

    private static Dictionary<string, string?> Settings(params (string Name, string? Value)[] settings) =>
        settings.ToDictionary(s => s.Name, s => string.IsNullOrEmpty(s.Value) ? null : s.Value, StringComparer.Ordinal);
}
