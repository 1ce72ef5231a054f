using System.Net;
using System.Text.Json;
using Crm.Providers;
using Crm.Testing;

namespace Crm.Api.Tests;

/// <summary>Twilio SMS and WhatsApp end to end: signed webhooks in, sends to a fake of the Messages API out.</summary>
[Collection(ApiCollection.Name)]
public sealed class TwilioChannelTests(ApiFixture fixture) : IAsyncLifetime
{
    private const string SmsFrom = "+15005550006";
    private const string WhatsAppFrom = "+14155238886";
    private const string Phone = "+14155550123";
    private FakeTwilio twilio = null!;

    private CrmApiFactory Factory => fixture.Factory;

    public async Task InitializeAsync() => twilio = await FakeTwilio.StartAsync();

    public async Task DisposeAsync() => await twilio.DisposeAsync();

    /// <summary>A fresh tenant with its own Twilio account on the fake, and a driver that signs with its token.</summary>
    private async Task<(Tenant Tenant, TwilioDriver Driver, string AccountSid)> TenantWithTwilioAsync()
    {
        var tenant = await Factory.CreateTenantAsync();
        var accountSid = "AC" + Guid.NewGuid().ToString("N");
        var token = "token-" + Guid.NewGuid().ToString("N");
        Factory.ConfigureChannels(tenant.Id, c => c.Twilio = new TwilioSettings
        {
            AccountSid = accountSid, AuthToken = token, SmsFrom = SmsFrom, WhatsAppFrom = WhatsAppFrom, BaseUrl = twilio.BaseUrl.ToString(),
        });
        return (tenant, new TwilioDriver(Factory, tenant.Id, token), accountSid);
    }

    private IReadOnlyList<TwilioSendRequest> SendsOf(string accountSid) => [.. twilio.Sends.Where(s => s.AccountSid == accountSid)];

    /// <summary>A client who wrote to us by SMS, and their chat.</summary>
    private static async Task<(string ClientId, string ChatId)> ClientWroteAsync(Tenant tenant, TwilioDriver driver, string text = "Is my order ready?")
    {
        Assert.Equal(HttpStatusCode.OK, (await driver.MessageAsync(TwilioForms.Sms(Phone, text))).StatusCode);
        var clientId = (await Channel.OnlyClientAsync(tenant)).Str("id");
        var chatId = await tenant.Admin.ChatIdAsync(clientId);
        await Channel.MessagesWhenAsync(tenant, chatId, m => m.Any(x => x.Str("text") == text), "the client's message");
        return (clientId, chatId);
    }

    [Fact]
    public async Task AnInboundSmsCreatesTheClientTheChatAndTheMessage()
    {
        var (tenant, driver, _) = await TenantWithTwilioAsync();

        var response = await driver.MessageAsync(TwilioForms.Sms(Phone, "Is my order ready?"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("<Response></Response>", await response.Content.ReadAsStringAsync());
        var client = await Channel.OnlyClientAsync(tenant);
        Assert.Contains(client.GetProperty("contacts").EnumerateArray(), c => c.Str("type") == "phone" && c.Str("value") == Phone);
        var chatId = await tenant.Admin.ChatIdAsync(client.Str("id"));
        var message = Assert.Single(await Channel.MessagesWhenAsync(tenant, chatId, m => m.Count > 0, "the inbound message"));
        Assert.Equal(("Is my order ready?", "sms", "inbound", "received"), (message.Str("text"), message.Str("transport"), message.Str("direction"), message.Str("status")));
    }

    [Fact]
    public async Task AMessageWithControlCharactersIsAcknowledgedAndStoredWithoutThem()
    {
        var (tenant, driver, _) = await TenantWithTwilioAsync();

        var response = await driver.MessageAsync(TwilioForms.WhatsApp(Phone, "before\0after", "Ann\u0001 Smith"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var client = await Channel.OnlyClientAsync(tenant);
        Assert.Equal(("Ann", "Smith"), (client.Str("firstName"), client.Str("lastName")));
        var chatId = await tenant.Admin.ChatIdAsync(client.Str("id"));
        var message = Assert.Single(await Channel.MessagesWhenAsync(tenant, chatId, m => m.Count > 0, "the inbound message"));
        Assert.Equal("beforeafter", message.Str("text"));
    }

    [Fact]
    public async Task AWhatsAppClientIsNamedAfterTheirProfile()
    {
        var (tenant, driver, _) = await TenantWithTwilioAsync();

        var response = await driver.MessageAsync(TwilioForms.WhatsApp(Phone, "Hi from WhatsApp", "Ann Smith", media: ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", "image/jpeg")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var client = await Channel.OnlyClientAsync(tenant);
        Assert.Equal(("Ann", "Smith"), (client.Str("firstName"), client.Str("lastName")));
        var message = Assert.Single(await Channel.MessagesWhenAsync(tenant, await tenant.Admin.ChatIdAsync(client.Str("id")), m => m.Count > 0, "the inbound message"));
        Assert.Equal(("Hi from WhatsApp", "whatsapp"), (message.Str("text"), message.Str("transport")));
        Assert.Equal("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", Assert.Single(message.GetProperty("attachments").EnumerateArray()).Str("url"));
    }

    [Fact]
    public async Task ARedeliveredWebhookStoresNothingNew()
    {
        var (tenant, driver, _) = await TenantWithTwilioAsync();
        var first = TwilioForms.Sms(Phone, "first");
        await driver.MessageAsync(first);

        var again = await driver.MessageAsync(first);
        await driver.MessageAsync(TwilioForms.Sms(Phone, "second"));

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var chatId = await tenant.Admin.ChatIdAsync((await Channel.OnlyClientAsync(tenant)).Str("id"));
        var messages = await Channel.MessagesWhenAsync(tenant, chatId, m => m.Any(x => x.Str("text") == "second"), "the second message");
        Assert.Equal(["first", "second"], messages.Select(m => m.Str("text")));
    }

    [Fact]
    public async Task AWrongOrMissingSignatureIsForbiddenAndStoresNothing()
    {
        var (tenant, driver, _) = await TenantWithTwilioAsync();
        var forged = TwilioForms.Sms(Phone, "forged");
        var signedByAnother = TwilioSignature.Compute("http://127.0.0.1:5080/webhooks/twilio/" + tenant.Id, forged.ToDictionary(f => f.Key, f => new Microsoft.Extensions.Primitives.StringValues(f.Value)), "another-accounts-token");

        var wrong = await driver.MessageAsync(forged, signature: signedByAnother);
        var missing = await driver.MessageAsync(forged, sign: false);
        await driver.MessageAsync(TwilioForms.Sms(Phone, "genuine"));

        await wrong.AssertProblemAsync(HttpStatusCode.Forbidden);
        await missing.AssertProblemAsync(HttpStatusCode.Forbidden);
        var chatId = await tenant.Admin.ChatIdAsync((await Channel.OnlyClientAsync(tenant)).Str("id"));
        var messages = await Channel.MessagesWhenAsync(tenant, chatId, m => m.Count > 0, "the genuine message");
        Assert.Equal(["genuine"], messages.Select(m => m.Str("text")));
    }

    [Fact]
    public async Task ATenantWithoutTwilioIsNotFound()
    {
        var tenant = await Factory.CreateTenantAsync();
        var driver = new TwilioDriver(Factory, tenant.Id, "any-token");

        var response = await driver.MessageAsync(TwilioForms.Sms(Phone, "hello"));

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty(await tenant.Admin.AllClientsAsync());
    }

    [Fact]
    public async Task AReplyReachesTwilioWithTheRightBody()
    {
        var (tenant, driver, accountSid) = await TenantWithTwilioAsync();
        var (_, chatId) = await ClientWroteAsync(tenant, driver);

        var reply = await tenant.Admin.SendOkAsync(chatId, "Yes, it is ready.");

        var request = Assert.Single(await Channel.EventuallyAsync(() => Task.FromResult(SendsOf(accountSid)), s => s.Count > 0, "the send at the fake"));
        Assert.Equal((Phone, SmsFrom, "Yes, it is ready."), (request.Form["To"], request.Form["From"], request.Form["Body"]));
        Assert.Equal((accountSid, accountSid), (request.BasicUser, request.AccountSid));
        Assert.EndsWith($"/webhooks/twilio/{tenant.Id}/status?messageId={reply.Str("id")}", request.Form["StatusCallback"], StringComparison.Ordinal);
        var sent = await Channel.MessageWhenAsync(tenant, chatId, reply.Str("id"), m => m.Str("status") != "queued", "the message handed to Twilio");
        Assert.Equal(("sending", request.Sid), (sent.Str("status"), sent.Str("providerMessageId")));
    }

    [Fact]
    public async Task StatusCallbacksOutOfOrderEndAtDelivered()
    {
        var (tenant, driver, accountSid) = await TenantWithTwilioAsync();
        var (_, chatId) = await ClientWroteAsync(tenant, driver);
        var reply = await tenant.Admin.SendOkAsync(chatId, "On its way");
        await Channel.MessageWhenAsync(tenant, chatId, reply.Str("id"), m => m.Str("status") == "sending", "the message handed to Twilio");
        var sid = SendsOf(accountSid).Single().Sid;

        var delivered = await driver.StatusAsync(reply.Str("id"), TwilioForms.Status(sid, "delivered", to: Phone));
        var sent = await driver.StatusAsync(reply.Str("id"), TwilioForms.Status(sid, "sent", to: Phone));

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (delivered.StatusCode, sent.StatusCode));
        var message = await Channel.MessageWhenAsync(tenant, chatId, reply.Str("id"), m => m.Str("status") == "delivered", "delivered");
        await Task.Delay(300);
        message = (await tenant.Admin.MessagesAsync(chatId)).Single(m => m.Str("id") == reply.Str("id"));
        Assert.Equal("delivered", message.Str("status"));
        Assert.Equal(JsonValueKind.String, message.GetProperty("deliveredAt").ValueKind);
        Assert.Equal(JsonValueKind.String, message.GetProperty("sentAt").ValueKind);
    }

    [Fact]
    public async Task AnUnsignedStatusCallbackChangesNothing()
    {
        var (tenant, driver, accountSid) = await TenantWithTwilioAsync();
        var (_, chatId) = await ClientWroteAsync(tenant, driver);
        var reply = await tenant.Admin.SendOkAsync(chatId, "On its way");
        await Channel.MessageWhenAsync(tenant, chatId, reply.Str("id"), m => m.Str("status") == "sending", "the message handed to Twilio");
        var forger = new TwilioDriver(Factory, tenant.Id, "not-the-token");

        var response = await forger.StatusAsync(reply.Str("id"), TwilioForms.Status(SendsOf(accountSid).Single().Sid, "failed", errorCode: "30008"));

        await response.AssertProblemAsync(HttpStatusCode.Forbidden);
        var message = (await tenant.Admin.MessagesAsync(chatId)).Single(m => m.Str("id") == reply.Str("id"));
        Assert.Equal("sending", message.Str("status"));
    }

    [Fact]
    public async Task ARateLimitedSendIsRetried()
    {
        var (tenant, driver, accountSid) = await TenantWithTwilioAsync();
        var (_, chatId) = await ClientWroteAsync(tenant, driver);
        twilio.FailNext(429, 20429, "Too Many Requests");

        var reply = await tenant.Admin.SendOkAsync(chatId, "Try again");

        var sent = await Channel.MessageWhenAsync(tenant, chatId, reply.Str("id"), m => m.Str("status") == "sending", "the retried send");
        Assert.Equal(2, SendsOf(accountSid).Count);
        Assert.Equal(SendsOf(accountSid)[1].Sid, sent.Str("providerMessageId"));
    }

    [Fact]
    public async Task AnInvalidNumberMarksTheMessageFailedWithTwiliosCode()
    {
        var (tenant, driver, accountSid) = await TenantWithTwilioAsync();
        var (_, chatId) = await ClientWroteAsync(tenant, driver);
        twilio.FailNext(400, 21211, "The 'To' number is not a valid phone number.");

        var reply = await tenant.Admin.SendOkAsync(chatId, "Hello?");

        var failed = await Channel.MessageWhenAsync(tenant, chatId, reply.Str("id"), m => m.Str("status") != "queued", "the failed send");
        Assert.Equal(("failed", "21211"), (failed.Str("status"), failed.Str("errorCode")));
        Assert.Single(SendsOf(accountSid));
    }

    [Fact]
    public async Task StopBlocksTheNextSendAndStartAllowsItAgain()
    {
        var (tenant, driver, accountSid) = await TenantWithTwilioAsync();
        var (clientId, chatId) = await ClientWroteAsync(tenant, driver, "STOP");
        await Channel.EventuallyAsync(() => tenant.Admin.GetOkAsync($"/api/v1/clients/{clientId}"), OptedOut, "the opt-out");

        var blocked = await Channel.SendAsync(tenant, chatId, "Special offer", "sms");
        await driver.MessageAsync(TwilioForms.Sms(Phone, "START"));
        await Channel.EventuallyAsync(() => tenant.Admin.GetOkAsync($"/api/v1/clients/{clientId}"), c => !OptedOut(c), "the opt-in");
        var allowed = await Channel.SendAsync(tenant, chatId, "Welcome back", "sms");

        await blocked.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.Accepted, allowed.StatusCode);
        var request = Assert.Single(await Channel.EventuallyAsync(() => Task.FromResult(SendsOf(accountSid)), s => s.Count > 0, "the send after START"));
        Assert.Equal("Welcome back", request.Form["Body"]);
    }

    private static bool OptedOut(JsonElement client) =>
        client.TryGetProperty("consent", out var consent) && consent.TryGetProperty("sms", out var sms) && !sms.GetProperty("optedIn").GetBoolean();
}
