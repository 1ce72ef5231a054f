using System.Globalization;
using Crm.Grains;

namespace Crm.Providers;

/// <summary>Turns the form fields of Twilio's webhooks (already verified) into our inbound message and status report.</summary>
public static class TwilioWebhookParser
{
    public const string Provider = "twilio";
    private const string WhatsAppPrefix = "whatsapp:";

    /// <summary>An inbound SMS or WhatsApp message, or null with the reason when the form is not one.</summary>
    public static InboundMessage? ParseMessage(string tenantId, IReadOnlyDictionary<string, string> form, out string? error)
    {
        var sid = form.GetValueOrDefault("MessageSid") ?? form.GetValueOrDefault("SmsSid");
        var from = form.GetValueOrDefault("From");
        if (string.IsNullOrWhiteSpace(sid) || string.IsNullOrWhiteSpace(from))
        {
            error = "MessageSid and From are required.";
            return null;
        }
        var whatsapp = from.StartsWith(WhatsAppPrefix, StringComparison.OrdinalIgnoreCase);
        if (ContactRules.NormalizePhone(from, out error) is not { } phone)
            return null;

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        AddIfPresent(metadata, "profileName", form.GetValueOrDefault("ProfileName"));
        AddIfPresent(metadata, "waId", form.GetValueOrDefault("WaId"));
        AddIfPresent(metadata, "to", form.GetValueOrDefault("To"));
        return new InboundMessage
        {
            TenantId = tenantId,
            Transport = whatsapp ? Transport.Whatsapp : Transport.Sms,
            Provider = Provider,
            ProviderMessageId = sid,
            ContactType = whatsapp ? ContactType.Whatsapp : ContactType.Phone,
            ContactValue = phone,
            Sender = new Sender
            {
                Type = SenderType.Client,
                Address = phone,
                DisplayName = NullIfBlank(form.GetValueOrDefault("ProfileName")),
            },
            Text = form.GetValueOrDefault("Body") ?? "",
            Attachments = Media(form),
            Metadata = metadata,
        };
    }

    /// <summary>
    /// A status callback as a report, or null for statuses that concern inbound messages or that we do not know.
    /// Twilio sends no timestamp with it, so the time of arrival is used.
    /// </summary>
    public static StatusReport? ParseStatus(string tenantId, IReadOnlyDictionary<string, string> form, string? messageId, DateTimeOffset now)
    {
        var sid = form.GetValueOrDefault("MessageSid") ?? form.GetValueOrDefault("SmsSid");
        var status = MapStatus(form.GetValueOrDefault("MessageStatus") ?? form.GetValueOrDefault("SmsStatus"));
        if (string.IsNullOrWhiteSpace(sid) || status is null)
            return null;
        var from = form.GetValueOrDefault("From") ?? "";
        return new StatusReport
        {
            TenantId = tenantId,
            Transport = from.StartsWith(WhatsAppPrefix, StringComparison.OrdinalIgnoreCase) ? Transport.Whatsapp : Transport.Sms,
            ProviderMessageId = sid,
            Status = status.Value,
            At = now,
            ErrorCode = NullIfBlank(form.GetValueOrDefault("ErrorCode")),
            MessageId = NullIfBlank(messageId),
        };
    }

    /// <summary>Twilio's message statuses on our forward-only ladder; inbound-only and unknown statuses map to null.</summary>
    public static MessageStatus? MapStatus(string? status) => status?.Trim().ToLowerInvariant() switch
    {
        "queued" or "accepted" or "scheduled" => MessageStatus.Queued,
        "sending" => MessageStatus.Sending,
        "sent" => MessageStatus.Sent,
        "delivered" => MessageStatus.Delivered,
        "read" => MessageStatus.Read,
        "undelivered" => MessageStatus.Undelivered,
        "failed" or "canceled" => MessageStatus.Failed,
        _ => null,
    };

    private static List<AttachmentRef> Media(IReadOnlyDictionary<string, string> form)
    {
        var count = int.TryParse(form.GetValueOrDefault("NumMedia"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? Math.Min(n, 10) : 0;
        var media = new List<AttachmentRef>(count);
        for (var i = 0; i < count; i++)
        {
            var url = form.GetValueOrDefault(FormattableString.Invariant($"MediaUrl{i}"));
            if (string.IsNullOrWhiteSpace(url))
                continue;
            media.Add(new AttachmentRef
            {
                Id = MediaId(url),
                Url = url,
                ContentType = NullIfBlank(form.GetValueOrDefault(FormattableString.Invariant($"MediaContentType{i}"))),
            });
        }
        return media;
    }

    /// <summary>Twilio media URLs end in the media sid (<c>.../Media/ME...</c>), which names the file for good.</summary>
    private static string MediaId(string url)
    {
        var last = url.TrimEnd('/').Split('/')[^1];
        return last.Length > 0 ? last : url;
    }

    private static void AddIfPresent(Dictionary<string, string> metadata, string key, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
            metadata[key] = value;
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
