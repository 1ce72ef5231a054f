using System.Globalization;
using System.Text.Json;
using Crm.Grains;

namespace Crm.Providers.Meta;

/// <summary>What one Meta webhook body told us: messages from clients and status reports on our messages.</summary>
public sealed record MetaNotification(IReadOnlyList<InboundMessage> Messages, IReadOnlyList<StatusReport> Statuses)
{
    public const string Provider = "meta";

    /// <summary>
    /// Reads a (signature-checked) body. Only entries for the tenant's own WhatsApp phone number id and
    /// Instagram account are taken, so one Meta app shared by several tenants cannot leak messages across them.
    /// Returns null when the body is not JSON of the expected shape.
    /// </summary>
    public static MetaNotification? Parse(string tenantId, MetaSettings settings, ReadOnlySpan<byte> body)
    {
        MetaEnvelope? envelope;
        try
        {
            envelope = JsonSerializer.Deserialize<MetaEnvelope>(body, MetaJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
        if (envelope is null)
            return null;

        var messages = new List<InboundMessage>();
        var statuses = new List<StatusReport>();
        foreach (var entry in envelope.Entry ?? [])
        {
            if (envelope.Object == "whatsapp_business_account")
                ReadWhatsApp(tenantId, settings, entry, messages, statuses);
            else if (envelope.Object == "instagram")
                ReadInstagram(tenantId, settings, entry, messages, statuses);
        }
        return new MetaNotification(messages, statuses);
    }

    private static void ReadWhatsApp(string tenantId, MetaSettings settings, MetaEntry entry, List<InboundMessage> messages, List<StatusReport> statuses)
    {
        foreach (var change in entry.Changes ?? [])
        {
            if (change.Field != "messages" || change.Value is not { } value)
                continue;
            if (string.IsNullOrEmpty(settings.WhatsAppPhoneNumberId) || value.Metadata?.PhoneNumberId != settings.WhatsAppPhoneNumberId)
                continue;
            foreach (var message in value.Messages ?? [])
            {
                if (WhatsAppInbound(tenantId, value, message) is { } inbound)
                    messages.Add(inbound);
            }
            foreach (var status in value.Statuses ?? [])
            {
                if (WhatsAppStatusReport(tenantId, status) is { } report)
                    statuses.Add(report);
            }
        }
    }

    private static InboundMessage? WhatsAppInbound(string tenantId, WhatsAppValue value, WhatsAppMessage message)
    {
        if (string.IsNullOrEmpty(message.Id) || string.IsNullOrEmpty(message.From))
            return null;
        // A number WhatsApp vouches for but our phone library does not know yet still reaches its client.
        var phone = ContactRules.NormalizePhone("+" + message.From, out _) ?? "+" + message.From;
        var profileName = value.Contacts?.FirstOrDefault(c => c.WaId == message.From)?.Profile?.Name
            ?? (value.Contacts is [var only] ? only.Profile?.Name : null);
        var (text, attachments) = WhatsAppContent(message);
        var metadata = new Dictionary<string, string> { ["phoneNumberId"] = value.Metadata?.PhoneNumberId ?? "", ["waId"] = message.From };
        if (profileName is not null)
            metadata["profileName"] = profileName;
        return new InboundMessage
        {
            TenantId = tenantId,
            Transport = Transport.Whatsapp,
            Provider = Provider,
            ProviderMessageId = message.Id,
            Sender = new Sender { Type = SenderType.Whatsapp, Address = phone, DisplayName = profileName },
            Text = text,
            Attachments = attachments,
            ProviderTimestamp = FromUnixSeconds(message.Timestamp),
            ContactType = ContactType.Whatsapp,
            ContactValue = phone,
            Metadata = metadata,
        };
    }

    private static (string Text, IReadOnlyList<AttachmentRef> Attachments) WhatsAppContent(WhatsAppMessage message)
    {
        var media = message.Type switch
        {
            "image" => message.Image,
            "document" => message.Document,
            "audio" => message.Audio,
            "video" => message.Video,
            "sticker" => message.Sticker,
            _ => null,
        };
        if (media?.Id is { Length: > 0 } mediaId)
            return (media.Caption ?? "", [new AttachmentRef { Id = mediaId, FileName = media.Filename, ContentType = media.MimeType }]);
        var text = message.Type switch
        {
            "text" => message.Text?.Body,
            "button" => message.Button?.Text,
            "interactive" => message.Interactive?.ButtonReply?.Title ?? message.Interactive?.ListReply?.Title,
            "location" when message.Location is { } l => string.Join(", ",
                new[] { l.Name, l.Address, FormattableString.Invariant($"{l.Latitude},{l.Longitude}") }.Where(s => !string.IsNullOrEmpty(s))),
            _ => null,
        };
        // Types we do not render (contacts, reactions, unsupported...) still show the agent that the client wrote.
        return (text ?? $"[{message.Type ?? "unknown"} message]", []);
    }

    private static StatusReport? WhatsAppStatusReport(string tenantId, WhatsAppStatus status)
    {
        MessageStatus? mapped = status.Status switch
        {
            "sent" => MessageStatus.Sent,
            "delivered" => MessageStatus.Delivered,
            "read" => MessageStatus.Read,
            "failed" => MessageStatus.Failed,
            _ => null,
        };
        if (mapped is null || string.IsNullOrEmpty(status.Id))
            return null;
        return new StatusReport
        {
            TenantId = tenantId,
            Transport = Transport.Whatsapp,
            ProviderMessageId = status.Id,
            Status = mapped.Value,
            At = FromUnixSeconds(status.Timestamp) ?? DateTimeOffset.UtcNow,
            ErrorCode = status.Errors is [var first, ..] && first.Code is { } code ? code.ToString(CultureInfo.InvariantCulture) : null,
            MessageId = string.IsNullOrEmpty(status.BizOpaqueCallbackData) ? null : status.BizOpaqueCallbackData,
        };
    }

    private static void ReadInstagram(string tenantId, MetaSettings settings, MetaEntry entry, List<InboundMessage> messages, List<StatusReport> statuses)
    {
        if (string.IsNullOrEmpty(settings.InstagramAccountId))
            return;
        foreach (var item in entry.Messaging ?? [])
        {
            var ours = entry.Id == settings.InstagramAccountId || item.Recipient?.Id == settings.InstagramAccountId;
            if (!ours || item.Sender?.Id is not { Length: > 0 } senderId)
                continue;
            var at = item.Timestamp is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : (DateTimeOffset?)null;
            if (item.Read?.Mid is { Length: > 0 } readMid)
            {
                statuses.Add(new StatusReport
                {
                    TenantId = tenantId, Transport = Transport.Instagram, ProviderMessageId = readMid, Status = MessageStatus.Read, At = at ?? DateTimeOffset.UtcNow,
                });
                continue;
            }
            // Echoes are our own sends coming back; deleted messages carry nothing to store.
            if (item.Message is not { Mid: { Length: > 0 } mid } message || message.IsEcho == true || message.IsDeleted == true)
                continue;
            var attachments = (message.Attachments ?? [])
                .Select((a, i) => new AttachmentRef { Id = $"{mid}/{i}", ContentType = a.Type, Url = a.Payload?.Url })
                .ToList();
            messages.Add(new InboundMessage
            {
                TenantId = tenantId,
                Transport = Transport.Instagram,
                Provider = Provider,
                ProviderMessageId = mid,
                Sender = new Sender { Type = SenderType.Instagram, Address = senderId },
                Text = message.Text ?? "",
                Attachments = attachments,
                ProviderTimestamp = at,
                ContactType = ContactType.Other,
                ContactValue = InstagramContact(senderId),
                Metadata = new Dictionary<string, string> { ["igsid"] = senderId, ["instagramAccountId"] = settings.InstagramAccountId },
            });
        }
    }

    /// <summary>The contact value of an Instagram user: their Instagram-scoped id, prefixed.</summary>
    public static string InstagramContact(string igsid) => "instagram:" + igsid;

    private static DateTimeOffset? FromUnixSeconds(long? seconds) => seconds is { } s ? DateTimeOffset.FromUnixTimeSeconds(s) : null;
}
