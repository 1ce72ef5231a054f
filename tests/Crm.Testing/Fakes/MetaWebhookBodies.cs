using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Crm.Testing;

/// <summary>
/// Webhook bodies shaped like the ones Meta posts (WhatsApp Cloud API and Instagram), and their
/// <c>X-Hub-Signature-256</c> computed the way Meta does, independently of the code under test.
/// </summary>
public static class MetaWebhookBodies
{
    public static string Sign(string appSecret, string body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), Encoding.UTF8.GetBytes(body)));

    public static string WhatsAppText(string phoneNumberId, string waId, string profileName, string wamid, string text, long timestamp = 1_760_000_000) =>
        WhatsAppMessage(phoneNumberId, waId, profileName, new Dictionary<string, object>
        {
            ["from"] = waId, ["id"] = wamid, ["timestamp"] = Unix(timestamp), ["type"] = "text", ["text"] = new { body = text },
        });

    public static string WhatsAppImage(string phoneNumberId, string waId, string profileName, string wamid, string mediaId, string? caption) =>
        WhatsAppMessage(phoneNumberId, waId, profileName, new Dictionary<string, object>
        {
            ["from"] = waId, ["id"] = wamid, ["timestamp"] = Unix(1_760_000_100), ["type"] = "image",
            ["image"] = caption is null
                ? new Dictionary<string, string> { ["mime_type"] = "image/jpeg", ["sha256"] = "c2hhMjU2", ["id"] = mediaId }
                : new Dictionary<string, string> { ["caption"] = caption, ["mime_type"] = "image/jpeg", ["sha256"] = "c2hhMjU2", ["id"] = mediaId },
        });

    public static string WhatsAppDocument(string phoneNumberId, string waId, string wamid, string mediaId, string fileName) =>
        WhatsAppMessage(phoneNumberId, waId, "Doc Sender", new Dictionary<string, object>
        {
            ["from"] = waId, ["id"] = wamid, ["timestamp"] = Unix(1_760_000_200), ["type"] = "document",
            ["document"] = new Dictionary<string, string> { ["filename"] = fileName, ["mime_type"] = "application/pdf", ["sha256"] = "c2hhMjU2", ["id"] = mediaId },
        });

    /// <summary>A status webhook; <paramref name="errorCode"/> makes it a failure report with Meta's error object.</summary>
    public static string WhatsAppStatus(string phoneNumberId, string wamid, string status, string recipientId, long timestamp = 1_760_000_300, long? errorCode = null, string? callbackData = null)
    {
        var item = new Dictionary<string, object>
        {
            ["id"] = wamid, ["status"] = status, ["timestamp"] = Unix(timestamp), ["recipient_id"] = recipientId,
        };
        if (status != "failed")
        {
            item["conversation"] = new { id = "c0nv3rs4t10n", origin = new { type = "service" } };
            item["pricing"] = new { billable = true, pricing_model = "CBP", category = "service" };
        }
        if (callbackData is not null)
            item["biz_opaque_callback_data"] = callbackData;
        if (errorCode is { } code)
            item["errors"] = new[] { new { code, title = "Message undeliverable", message = "Message undeliverable", error_data = new { details = "Message Undeliverable." } } };
        return Envelope(phoneNumberId, new Dictionary<string, object> { ["statuses"] = new[] { item } });
    }

    public static string InstagramMessage(string igAccountId, string senderIgsid, string mid, string text, bool isEcho = false, long timestampMs = 1_760_000_000_123)
    {
        var message = new Dictionary<string, object> { ["mid"] = mid, ["text"] = text };
        if (isEcho)
            message["is_echo"] = true;
        var (sender, recipient) = isEcho ? (igAccountId, senderIgsid) : (senderIgsid, igAccountId);
        return JsonSerializer.Serialize(new
        {
            @object = "instagram",
            entry = new[]
            {
                new
                {
                    time = timestampMs,
                    id = igAccountId,
                    messaging = new[] { new { sender = new { id = sender }, recipient = new { id = recipient }, timestamp = timestampMs, message } },
                },
            },
        });
    }

    private static string WhatsAppMessage(string phoneNumberId, string waId, string profileName, Dictionary<string, object> message) =>
        Envelope(phoneNumberId, new Dictionary<string, object>
        {
            ["contacts"] = new[] { new { profile = new { name = profileName }, wa_id = waId } },
            ["messages"] = new[] { message },
        });

    private static string Envelope(string phoneNumberId, Dictionary<string, object> content)
    {
        var value = new Dictionary<string, object>
        {
            ["messaging_product"] = "whatsapp",
            ["metadata"] = new { display_phone_number = "15550001111", phone_number_id = phoneNumberId },
        };
        foreach (var (key, item) in content)
            value[key] = item;
        return JsonSerializer.Serialize(new
        {
            @object = "whatsapp_business_account",
            entry = new[] { new { id = "102290129340398", changes = new[] { new { value, field = "messages" } } } },
        });
    }

    private static string Unix(long seconds) => seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
