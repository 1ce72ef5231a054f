using System.Globalization;
using System.Text.Json;
using Crm.Grains;
using Telegram.Bot;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace Crm.Providers;

/// <summary>Turns Telegram updates (already authenticated) into our inbound messages.</summary>
public static class TelegramUpdateParser
{
    public const string Provider = "telegram";

    /// <summary>The update in a webhook body, or null when the body is not one.</summary>
    public static Update? Deserialize(string body)
    {
        try
        {
            return JsonSerializer.Deserialize<Update>(body, JsonBotAPI.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The message a person wrote to the bot in a private chat, or null for everything else (edits, button presses,
    /// group and channel posts): a CRM client is a person, and a bot can write to a person only by chat id.
    /// The identity <c>{chat id}:{message id}</c> is the same however the update reaches us (webhook or polling).
    /// </summary>
    public static InboundMessage? Parse(string tenantId, Update update)
    {
        if (update.Message is not { Chat.Type: ChatType.Private } message)
            return null;
        var chatId = message.Chat.Id.ToString(CultureInfo.InvariantCulture);
        var from = message.From;
        var name = string.Join(' ', new[] { from?.FirstName ?? message.Chat.FirstName, from?.LastName ?? message.Chat.LastName }.Where(n => !string.IsNullOrWhiteSpace(n)));
        var username = from?.Username ?? message.Chat.Username;
        var attachments = Attachments(message);
        var text = message.Text ?? message.Caption ?? "";
        if (text.Length == 0 && attachments.Count == 0)
            text = $"[{EnumText.Of(message.Type)}]";

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["telegramChatId"] = chatId };
        if (!string.IsNullOrWhiteSpace(username))
            metadata["telegramUsername"] = username;
        return new InboundMessage
        {
            TenantId = tenantId,
            Transport = Transport.Telegram,
            Provider = Provider,
            ProviderMessageId = MessageIdentity(message.Chat.Id, message.Id),
            ContactType = ContactType.Telegram,
            ContactValue = chatId,
            Sender = new Sender
            {
                Type = SenderType.Client,
                Address = chatId,
                DisplayName = name.Length > 0 ? name : username,
            },
            Text = text,
            Attachments = attachments,
            ProviderTimestamp = new DateTimeOffset(DateTime.SpecifyKind(message.Date, DateTimeKind.Utc)),
            Metadata = metadata,
        };
    }

    /// <summary>A message's identity in a bot's world: message ids count per chat.</summary>
    public static string MessageIdentity(long chatId, int messageId) =>
        string.Create(CultureInfo.InvariantCulture, $"{chatId}:{messageId}");

    /// <summary>Photos (the largest size Telegram offers) and documents, by Telegram file id, to be fetched with getFile.</summary>
    private static List<AttachmentRef> Attachments(Message message)
    {
        var attachments = new List<AttachmentRef>();
        if (message.Photo is [.., var largest])
            attachments.Add(new AttachmentRef { Id = largest.FileId, ContentType = "image/jpeg", Size = largest.FileSize });
        if (message.Document is { } document)
            attachments.Add(new AttachmentRef { Id = document.FileId, FileName = document.FileName, ContentType = document.MimeType, Size = document.FileSize });
        return attachments;
    }
}
