using Crm.Grains;
using Crm.Testing;

namespace Crm.Providers.Tests;

public sealed class TelegramUpdateParserTests
{
    [Fact]
    public void ATextMessageComesFromTheNumericChatWithTheSendersName()
    {
        var update = TelegramUpdateParser.Deserialize(TelegramUpdates.Text(updateId: 900001, chatId: 123456789, messageId: 17, text: "Hello there", firstName: "Ann", username: "ann_s"));

        var message = TelegramUpdateParser.Parse("tn_1", update!);

        Assert.NotNull(message);
        Assert.Equal(
            ("tn_1", Transport.Telegram, "telegram", "123456789:17", ContactType.Telegram, "123456789", "Hello there", "Ann"),
            (message.TenantId, message.Transport, message.Provider, message.ProviderMessageId, message.ContactType, message.ContactValue, message.Text, message.Sender.DisplayName));
        Assert.Equal(("123456789", "ann_s"), (message.Metadata["telegramChatId"], message.Metadata["telegramUsername"]));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1735732800), message.ProviderTimestamp);
        Assert.Empty(message.Attachments);
    }

    [Fact]
    public void ControlCharactersAreDroppedAndTheMessageKept()
    {
        var update = TelegramUpdateParser.Deserialize(TelegramUpdates.Text(900010, 123456789, 19, "before\0after\u0085 !", firstName: "A\u001bnn"));

        var message = TelegramUpdateParser.Parse("tn_1", update!);

        Assert.NotNull(message);
        Assert.Equal(("beforeafter !", "Ann"), (message.Text, message.Sender.DisplayName));
    }

    [Fact]
    public void APhotoWithACaptionKeepsTheCaptionAndTheLargestSize()
    {
        var update = TelegramUpdateParser.Deserialize(TelegramUpdates.PhotoWithCaption(900002, 123456789, 18, "The broken part"));

        var message = TelegramUpdateParser.Parse("tn_1", update!);

        Assert.NotNull(message);
        Assert.Equal("The broken part", message.Text);
        var photo = Assert.Single(message.Attachments);
        Assert.Equal(("AgACAgIAAxkBAAIBlarge", "image/jpeg", 98000L), (photo.Id, photo.ContentType, photo.Size));
    }

    [Fact]
    public void TheSameMessageHasTheSameIdentityInAnotherUpdate()
    {
        var first = TelegramUpdateParser.Parse("tn_1", TelegramUpdateParser.Deserialize(TelegramUpdates.Text(900003, 555, 9, "hi"))!);
        var again = TelegramUpdateParser.Parse("tn_1", TelegramUpdateParser.Deserialize(TelegramUpdates.Text(900004, 555, 9, "hi"))!);

        var other = TelegramUpdateParser.Parse("tn_1", TelegramUpdateParser.Deserialize(TelegramUpdates.Text(900005, 556, 9, "hi"))!);

        Assert.Equal(first!.ProviderMessageId, again!.ProviderMessageId);
        Assert.NotEqual(first.ProviderMessageId, other!.ProviderMessageId);
    }

    [Fact]
    public void AnEditedMessageIsNoNewMessage()
    {
        var update = TelegramUpdateParser.Deserialize(TelegramUpdates.Edited(900006, 123456789, 17, "Hello there!"));

        var message = TelegramUpdateParser.Parse("tn_1", update!);

        Assert.NotNull(update);
        Assert.Null(message);
    }

    [Fact]
    public void AButtonPressIsNoMessage()
    {
        var update = TelegramUpdateParser.Deserialize(TelegramUpdates.CallbackQuery(900007, 123456789, 19));

        var message = TelegramUpdateParser.Parse("tn_1", update!);

        Assert.NotNull(update?.CallbackQuery);
        Assert.Null(message);
    }

    [Fact]
    public void AGroupMessageIsNoClientMessage()
    {
        var json = TelegramUpdates.Text(900008, -1001234567890, 5, "hello group").Replace("\"type\":\"private\"", "\"type\":\"supergroup\"", StringComparison.Ordinal);

        var message = TelegramUpdateParser.Parse("tn_1", TelegramUpdateParser.Deserialize(json)!);

        Assert.Null(message);
    }

    [Fact]
    public void AStickerIsNamedSoTheAgentSeesSomethingCame()
    {
        var json = TelegramUpdates.Text(900009, 123456789, 20, "x").Replace(
            "\"text\":\"x\"",
            "\"sticker\":{\"file_id\":\"CAACAgIAAxkBAAIB\",\"file_unique_id\":\"AgADxx\",\"type\":\"regular\",\"width\":512,\"height\":512,\"is_animated\":false,\"is_video\":false,\"emoji\":\"👍\"}",
            StringComparison.Ordinal);

        var message = TelegramUpdateParser.Parse("tn_1", TelegramUpdateParser.Deserialize(json)!);

        Assert.Equal("[sticker]", message!.Text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    public void ABodyThatIsNoUpdateIsNull(string body)
    {
        var update = TelegramUpdateParser.Deserialize(body);

        Assert.Null(update);
    }
}
