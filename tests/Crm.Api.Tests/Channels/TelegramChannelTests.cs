using System.Net;
using Crm.Providers;
using Crm.Testing;

namespace Crm.Api.Tests;

/// <summary>Telegram end to end: webhook updates with the secret token in, sends to a fake of the Bot API out.</summary>
[Collection(ApiCollection.Name)]
public sealed class TelegramChannelTests(ApiFixture fixture) : IAsyncLifetime
{
    private const long ChatId = 123456789;
    private FakeTelegram telegram = null!;

    private CrmApiFactory Factory => fixture.Factory;

    public async Task InitializeAsync() => telegram = await FakeTelegram.StartAsync();

    public async Task DisposeAsync() => await telegram.DisposeAsync();

    /// <summary>A fresh tenant with a bot of its own on the fake, in webhook mode, and a driver that knows its secret.</summary>
    private async Task<(Tenant Tenant, TelegramDriver Driver, string Token)> TenantWithBotAsync()
    {
        var tenant = await Factory.CreateTenantAsync();
        var token = $"{Random.Shared.NextInt64(1_000_000_000, 9_999_999_999)}:AAH{Guid.NewGuid():N}";
        var secret = "secret_" + Guid.NewGuid().ToString("N");
        Factory.ConfigureChannels(tenant.Id, c => c.Telegram = new TelegramSettings { BotToken = token, SecretToken = secret, BaseUrl = telegram.BaseUrl.ToString() });
        return (tenant, new TelegramDriver(Factory, tenant.Id, secret), token);
    }

    private IReadOnlyList<TelegramCall> SendsOf(string token) => [.. telegram.CallsOf("sendMessage").Where(c => c.Token == token)];

    private static async Task<string> PersonWroteAsync(Tenant tenant, TelegramDriver driver)
    {
        Assert.Equal(HttpStatusCode.OK, (await driver.UpdateAsync(TelegramUpdates.Text(800001, ChatId, 1, "Hello bot"))).StatusCode);
        var chatId = await tenant.Admin.ChatIdAsync((await Channel.OnlyClientAsync(tenant)).Str("id"));
        await Channel.MessagesWhenAsync(tenant, chatId, m => m.Count > 0, "the person's message");
        return chatId;
    }

    [Fact]
    public async Task AnUpdateCreatesAClientNamedAfterTheSenderWithTheirChat()
    {
        var (tenant, driver, _) = await TenantWithBotAsync();

        var response = await driver.UpdateAsync(TelegramUpdates.Text(800001, ChatId, 1, "Hello bot", firstName: "Ann", username: "ann_s"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var client = await Channel.OnlyClientAsync(tenant);
        Assert.Equal("Ann", client.Str("firstName"));
        Assert.Contains(client.GetProperty("contacts").EnumerateArray(), c => c.Str("type") == "telegram" && c.Str("value") == "123456789");
        var chatId = await tenant.Admin.ChatIdAsync(client.Str("id"));
        var message = Assert.Single(await Channel.MessagesWhenAsync(tenant, chatId, m => m.Count > 0, "the inbound message"));
        Assert.Equal(("Hello bot", "telegram", "inbound"), (message.Str("text"), message.Str("transport"), message.Str("direction")));
    }

    [Fact]
    public async Task ARedeliveredUpdateStoresNothingNewAndAnEditIsNoNewMessage()
    {
        var (tenant, driver, _) = await TenantWithBotAsync();
        var first = TelegramUpdates.Text(800001, ChatId, 1, "first");
        await driver.UpdateAsync(first);

        var again = await driver.UpdateAsync(first);
        var edit = await driver.UpdateAsync(TelegramUpdates.Edited(800002, ChatId, 1, "first, edited"));
        await driver.UpdateAsync(TelegramUpdates.Text(800003, ChatId, 2, "second"));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (again.StatusCode, edit.StatusCode));
        var chatId = await tenant.Admin.ChatIdAsync((await Channel.OnlyClientAsync(tenant)).Str("id"));
        var messages = await Channel.MessagesWhenAsync(tenant, chatId, m => m.Any(x => x.Str("text") == "second"), "the second message");
        Assert.Equal(["first", "second"], messages.Select(m => m.Str("text")));
    }

    [Fact]
    public async Task AWrongOrMissingSecretIsUnauthorizedAndStoresNothing()
    {
        var (tenant, driver, _) = await TenantWithBotAsync();

        var wrong = await driver.UpdateAsync(TelegramUpdates.Text(800001, ChatId, 1, "forged"), secretOverride: "secret_guess");
        var missing = await driver.UpdateAsync(TelegramUpdates.Text(800002, ChatId, 2, "forged"), withSecret: false);
        await driver.UpdateAsync(TelegramUpdates.Text(800003, ChatId, 3, "genuine"));

        await wrong.AssertProblemAsync(HttpStatusCode.Unauthorized);
        await missing.AssertProblemAsync(HttpStatusCode.Unauthorized);
        var chatId = await tenant.Admin.ChatIdAsync((await Channel.OnlyClientAsync(tenant)).Str("id"));
        var messages = await Channel.MessagesWhenAsync(tenant, chatId, m => m.Count > 0, "the genuine message");
        Assert.Equal(["genuine"], messages.Select(m => m.Str("text")));
    }

    [Fact]
    public async Task ASecretTokenShorterThan16CharactersRefusesEveryWebhookCallEvenWithThatSecret()
    {
        var tenant = await Factory.CreateTenantAsync();
        const string secret = "fifteen_chars_x";
        Factory.ConfigureChannels(tenant.Id, c => c.Telegram = new TelegramSettings { BotToken = "1234567:abc", SecretToken = secret, BaseUrl = telegram.BaseUrl.ToString() });
        var driver = new TelegramDriver(Factory, tenant.Id, secret);

        var response = await driver.UpdateAsync(TelegramUpdates.Text(800001, ChatId, 1, "forged"));

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Empty(await tenant.Admin.AllClientsAsync());
    }

    [Fact]
    public async Task AReplyReachesTheBotApiAndIsSent()
    {
        var (tenant, driver, token) = await TenantWithBotAsync();
        var chatId = await PersonWroteAsync(tenant, driver);

        var reply = await tenant.Admin.SendOkAsync(chatId, "Hello Ann, how can we help?");

        var call = Assert.Single(await Channel.EventuallyAsync(() => Task.FromResult(SendsOf(token)), s => s.Count > 0, "the send at the fake"));
        Assert.Equal(ChatId, call.Body.GetProperty("chat_id").GetInt64());
        Assert.Equal("Hello Ann, how can we help?", call.Body.GetProperty("text").GetString());
        var sent = await Channel.MessageWhenAsync(tenant, chatId, reply.Str("id"), m => m.Str("status") != "queued", "the sent message");
        Assert.Equal("sent", sent.Str("status"));
        Assert.StartsWith("123456789:", sent.Str("providerMessageId"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TooManyRequestsIsRetriedAfterTelegramsPause()
    {
        var (tenant, driver, token) = await TenantWithBotAsync();
        var chatId = await PersonWroteAsync(tenant, driver);
        telegram.FailNext(429, "Too Many Requests: retry after 1", retryAfter: 1);

        var reply = await tenant.Admin.SendOkAsync(chatId, "Retry me");

        var sent = await Channel.MessageWhenAsync(tenant, chatId, reply.Str("id"), m => m.Str("status") == "sent", "the retried send");
        Assert.Equal(2, SendsOf(token).Count);
        Assert.Equal(JsonValueKindString, sent.GetProperty("sentAt").ValueKind);
    }

    [Fact]
    public async Task ABlockedBotMarksTheMessageFailedWith403()
    {
        var (tenant, driver, token) = await TenantWithBotAsync();
        var chatId = await PersonWroteAsync(tenant, driver);
        telegram.FailNext(403, "Forbidden: bot was blocked by the user");

        var reply = await tenant.Admin.SendOkAsync(chatId, "Are you there?");

        var failed = await Channel.MessageWhenAsync(tenant, chatId, reply.Str("id"), m => m.Str("status") != "queued", "the failed send");
        Assert.Equal(("failed", "403"), (failed.Str("status"), failed.Str("errorCode")));
        Assert.Single(SendsOf(token));
    }

    [Fact]
    public async Task APollingTenantHasNoWebhook()
    {
        var tenant = await Factory.CreateTenantAsync();
        Factory.ConfigureChannels(tenant.Id, c => c.Telegram = new TelegramSettings { BotToken = "1234567:abc", SecretToken = "s", Mode = "polling" });

        var response = await new TelegramDriver(Factory, tenant.Id, "s").UpdateAsync(TelegramUpdates.Text(1, ChatId, 1, "hi"));

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    private const System.Text.Json.JsonValueKind JsonValueKindString = System.Text.Json.JsonValueKind.String;
}
