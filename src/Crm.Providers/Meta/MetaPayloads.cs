using System.Text.Json;
using System.Text.Json.Serialization;

namespace Crm.Providers.Meta;

// The parts of Meta's webhook and Graph API bodies we read. Unknown fields are ignored: Meta adds them without notice.

internal sealed record MetaEnvelope(string? Object, IReadOnlyList<MetaEntry>? Entry);

internal sealed record MetaEntry(string? Id, IReadOnlyList<MetaChange>? Changes, IReadOnlyList<InstagramEvent>? Messaging);

internal sealed record MetaChange(string? Field, WhatsAppValue? Value);

internal sealed record WhatsAppValue(
    WhatsAppMetadata? Metadata, IReadOnlyList<WhatsAppContact>? Contacts, IReadOnlyList<WhatsAppMessage>? Messages, IReadOnlyList<WhatsAppStatus>? Statuses);

internal sealed record WhatsAppMetadata(string? DisplayPhoneNumber, string? PhoneNumberId);

internal sealed record WhatsAppContact(WhatsAppProfile? Profile, string? WaId);

internal sealed record WhatsAppProfile(string? Name);

internal sealed record WhatsAppMessage(
    string? From, string? Id, long? Timestamp, string? Type,
    WhatsAppText? Text, WhatsAppMedia? Image, WhatsAppMedia? Document, WhatsAppMedia? Audio, WhatsAppMedia? Video, WhatsAppMedia? Sticker,
    WhatsAppLocation? Location, WhatsAppButton? Button, WhatsAppInteractive? Interactive);

internal sealed record WhatsAppText(string? Body);

internal sealed record WhatsAppMedia(string? Id, string? MimeType, string? Caption, string? Filename);

internal sealed record WhatsAppLocation(double? Latitude, double? Longitude, string? Name, string? Address);

internal sealed record WhatsAppButton(string? Text, string? Payload);

internal sealed record WhatsAppInteractive(string? Type, WhatsAppReply? ButtonReply, WhatsAppReply? ListReply);

internal sealed record WhatsAppReply(string? Id, string? Title);

internal sealed record WhatsAppStatus(
    string? Id, string? Status, long? Timestamp, string? RecipientId, string? BizOpaqueCallbackData, IReadOnlyList<WhatsAppError>? Errors);

internal sealed record WhatsAppError(long? Code, string? Title, string? Message);

internal sealed record InstagramEvent(InstagramParty? Sender, InstagramParty? Recipient, long? Timestamp, InstagramMessage? Message, InstagramRead? Read);

internal sealed record InstagramParty(string? Id);

internal sealed record InstagramMessage(string? Mid, string? Text, bool? IsEcho, bool? IsDeleted, IReadOnlyList<InstagramAttachment>? Attachments);

internal sealed record InstagramAttachment(string? Type, InstagramAttachmentPayload? Payload);

internal sealed record InstagramAttachmentPayload(string? Url);

internal sealed record InstagramRead(string? Mid);

/// <summary>What the Graph API answers to a send: WhatsApp <c>messages[0].id</c>, Instagram <c>message_id</c>, or an <c>error</c>.</summary>
internal sealed record GraphSendResponse(IReadOnlyList<GraphMessageId>? Messages, string? MessageId, GraphError? Error);

internal sealed record GraphMessageId(string? Id);

internal sealed record GraphError(string? Message, string? Type, long? Code, long? ErrorSubcode);

internal static class MetaJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };
}
