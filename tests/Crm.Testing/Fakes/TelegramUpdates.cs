using System.Text.Json.Nodes;

namespace Crm.Testing;

/// <summary>Telegram updates shaped as the Bot API sends them (webhook body or one item of getUpdates).</summary>
public static class TelegramUpdates
{
    public static string Text(long updateId, long chatId, int messageId, string text, string firstName = "Ann", string? username = "ann_s") =>
        Update(updateId, "message", Message(chatId, messageId, firstName, username, m => m["text"] = text));

    public static string PhotoWithCaption(long updateId, long chatId, int messageId, string caption, string firstName = "Ann") =>
        Update(updateId, "message", Message(chatId, messageId, firstName, null, m =>
        {
            m["caption"] = caption;
            m["photo"] = new JsonArray(
                Photo("AgACAgIAAxkBAAIBsmall", 90, 67, 1200),
                Photo("AgACAgIAAxkBAAIBmedium", 320, 240, 15000),
                Photo("AgACAgIAAxkBAAIBlarge", 1280, 960, 98000));
        }));

    public static string Edited(long updateId, long chatId, int messageId, string text) =>
        Update(updateId, "edited_message", Message(chatId, messageId, "Ann", null, m =>
        {
            m["text"] = text;
            m["edit_date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        }));

    public static string CallbackQuery(long updateId, long chatId, int messageId) =>
        Update(updateId, "callback_query", new JsonObject
        {
            ["id"] = "4382bfdwdsb323b2d9",
            ["from"] = User(chatId, "Ann", null),
            ["chat_instance"] = "-8213740713729781",
            ["data"] = "yes",
            ["message"] = Message(chatId, messageId, "Ann", null, m => m["text"] = "Continue?"),
        });

    private static string Update(long updateId, string kind, JsonObject payload) =>
        new JsonObject { ["update_id"] = updateId, [kind] = payload }.ToJsonString();

    private static JsonObject Message(long chatId, int messageId, string firstName, string? username, Action<JsonObject> content)
    {
        var chat = new JsonObject { ["id"] = chatId, ["first_name"] = firstName, ["type"] = "private" };
        if (username is not null)
            chat["username"] = username;
        var message = new JsonObject
        {
            ["message_id"] = messageId,
            ["from"] = User(chatId, firstName, username),
            ["chat"] = chat,
            ["date"] = 1735732800,
        };
        content(message);
        return message;
    }

    private static JsonObject User(long id, string firstName, string? username)
    {
        var user = new JsonObject { ["id"] = id, ["is_bot"] = false, ["first_name"] = firstName, ["language_code"] = "en" };
        if (username is not null)
            user["username"] = username;
        return user;
    }

    private static JsonObject Photo(string fileId, int width, int height, long size) => new()
    {
        ["file_id"] = fileId,
        ["file_unique_id"] = fileId[^8..],
        ["file_size"] = size,
        ["width"] = width,
        ["height"] = height,
    };
}
