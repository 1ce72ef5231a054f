using Crm.Grains;
using Crm.Testing;

namespace Crm.Providers.Tests;

public sealed class TelegramAdapterTests : IAsyncLifetime
{
    private const string BotToken = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
    private FakeTelegram telegram = null!;

    public async Task InitializeAsync() => telegram = await FakeTelegram.StartAsync();

    public async Task DisposeAsync() => await telegram.DisposeAsync();

    private Providers Configured(string? baseUrl = null, string token = BotToken) =>
        new(("Tenants:tn_1:Telegram:BotToken", token), ("Tenants:tn_1:Telegram:BaseUrl", baseUrl ?? telegram.BaseUrl.ToString()));

    private static OutboundEnvelope Envelope(string to = "123456789") => new()
    {
        TenantId = "tn_1",
        ChatId = "cl_1",
        ClientId = "cl_1",
        MessageId = "msg_1",
        Transport = Transport.Telegram,
        To = to,
        Text = "Your order is ready",
    };

    [Fact]
    public async Task AMessageReachesTheBotApiAsChatIdAndText()
    {
        using var providers = Configured();

        var outcome = await providers.Sender.SendAsync(Envelope(), CancellationToken.None);

        var call = Assert.Single(telegram.Calls);
        Assert.Equal((BotToken, "sendMessage"), (call.Token, call.Method));
        Assert.Equal(123456789, call.Body.GetProperty("chat_id").GetInt64());
        Assert.Equal("Your order is ready", call.Body.GetProperty("text").GetString());
        Assert.Equal(SendOutcomeKind.Sent, outcome.Kind);
        Assert.Equal(MessageStatus.Sent, outcome.Status);
        Assert.Matches("^123456789:[0-9]+$", outcome.ProviderMessageId);
    }

    [Fact]
    public async Task TooManyRequestsIsRetriedAfterTheTimeTelegramAsks()
    {
        using var providers = Configured();
        telegram.FailNext(429, "Too Many Requests: retry after 7", retryAfter: 7);

        var outcome = await providers.Sender.SendAsync(Envelope(), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Retry, "429", TimeSpan.FromSeconds(7)), (outcome.Kind, outcome.ErrorCode, outcome.RetryAfter));
        Assert.Single(telegram.Calls);
    }

    [Theory]
    [InlineData(500, "Internal Server Error")]
    [InlineData(502, "Bad Gateway")]
    public async Task ServerErrorsAreRetried(int code, string description)
    {
        using var providers = Configured();
        telegram.FailNext(code, description);

        var outcome = await providers.Sender.SendAsync(Envelope(), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Retry, code.ToString(System.Globalization.CultureInfo.InvariantCulture)), (outcome.Kind, outcome.ErrorCode));
    }

    [Fact]
    public async Task ABlockedBotFailsWith403()
    {
        using var providers = Configured();
        telegram.FailNext(403, "Forbidden: bot was blocked by the user");

        var outcome = await providers.Sender.SendAsync(Envelope(), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Failed, MessageStatus.Failed, "403"), (outcome.Kind, outcome.Status, outcome.ErrorCode));
    }

    [Fact]
    public async Task AnotherClientErrorFailsWithItsCode()
    {
        using var providers = Configured();
        telegram.FailNext(400, "Bad Request: chat not found");

        var outcome = await providers.Sender.SendAsync(Envelope(), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Failed, "400"), (outcome.Kind, outcome.ErrorCode));
    }

    [Fact]
    public async Task AnUnreachableBotApiIsRetried()
    {
        using var providers = Configured($"http://127.0.0.1:{PostgresServer.FreePort()}");

        var outcome = await providers.Sender.SendAsync(Envelope(), CancellationToken.None);

        Assert.Equal(SendOutcomeKind.Retry, outcome.Kind);
    }

    [Fact]
    public async Task AUsernameIsNoAddressABotCanWriteTo()
    {
        using var providers = Configured();

        var outcome = await providers.Sender.SendAsync(Envelope(to: "ann_s"), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Failed, "invalid_chat_id"), (outcome.Kind, outcome.ErrorCode));
        Assert.Empty(telegram.Calls);
    }

    [Fact]
    public async Task AMalformedTokenFailsWithoutCallingTelegram()
    {
        using var providers = Configured(token: "not-a-token");

        var outcome = await providers.Sender.SendAsync(Envelope(), CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Failed, "invalid_bot_token"), (outcome.Kind, outcome.ErrorCode));
        Assert.Empty(telegram.Calls);
    }
}
