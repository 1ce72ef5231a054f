using System.Net;
using System.Text;
using System.Text.Json;
using Crm.Providers;
using Crm.Testing;

namespace Crm.Api.Tests.Channels;

/// <summary>WhatsApp Cloud API and Instagram through the real API and silo: Meta's webhooks played with real signatures, sends to a loopback Graph API.</summary>
[Collection(ChannelCollection.Name)]
public sealed class MetaChannelTests(ChannelApiFixture fixture) : IAsyncLifetime
{
    private const string AppSecret = "meta-app-secret-for-tests";
    private const string VerifyToken = "verify-token-for-tests";
    private const string AccessToken = "EAAG-access-token-for-tests";
    private const string PhoneNumberId = "106540352242922";
    private const string IgAccountId = "17841400000000001";
    private const string WaId = "14155550123";
    private FakeGraphApi graph = null!;
    private Tenant tenant = null!;

    public async Task InitializeAsync()
    {
        graph = await FakeGraphApi.StartAsync();
        tenant = await fixture.CreateTenantAsync(_ => new TenantChannels
        {
            Meta = new MetaSettings
            {
                AppSecret = AppSecret, VerifyToken = VerifyToken, AccessToken = AccessToken,
                WhatsAppPhoneNumberId = PhoneNumberId, InstagramAccountId = IgAccountId, GraphBaseUrl = graph.BaseUrl, GraphVersion = "v21.0",
            },
        });
    }

    public async Task DisposeAsync() => await graph.DisposeAsync();

    private async Task<HttpResponseMessage> PostWebhookAsync(string body, string? signature, string? tenantId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/meta/{tenantId ?? tenant.Id}") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (signature is not null)
            request.Headers.Add("X-Hub-Signature-256", signature);
        using var http = fixture.Anonymous();
        return await http.SendAsync(request);
    }

    private async Task DeliverAsync(string body)
    {
        var response = await PostWebhookAsync(body, MetaWebhookBodies.Sign(AppSecret, body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<JsonElement?> ClientOfAsync(string type, string value)
    {
        var response = await tenant.Admin.GetAsync($"/api/v1/clients/lookup?type={type}&value={Uri.EscapeDataString(value)}");
        return response.StatusCode == HttpStatusCode.OK ? await response.BodyAsync() : null;
    }

    /// <summary>The chat of the client that owns the contact, once the inbound stream has delivered the message with <paramref name="providerMessageId"/>.</summary>
    private async Task<(string ChatId, IReadOnlyList<JsonElement> Messages)> ChatWithAsync(string type, string value, string providerMessageId) =>
        await Channel.EventuallyAsync(async () =>
        {
            if (await ClientOfAsync(type, value) is not { } client)
                return (ChatId: "", Messages: (IReadOnlyList<JsonElement>)[]);
            var chatId = await tenant.Admin.ChatIdAsync(client.Str("id"));
            return (ChatId: chatId, Messages: await tenant.Admin.MessagesAsync(chatId));
        }, chat => chat.Messages.Any(m => m.GetProperty("providerMessageId").GetString() == providerMessageId), $"message {providerMessageId}");

    private async Task<JsonElement> MessageAsync(string chatId, string messageId, Func<JsonElement, bool> until, string what) =>
        await Channel.EventuallyAsync(async () => (await tenant.Admin.MessagesAsync(chatId)).Single(m => m.Str("id") == messageId), until, what);

    private async Task<(string ChatId, string MessageId, GraphRequest Sent)> ReplyAsync(string text)
    {
        await DeliverAsync(MetaWebhookBodies.WhatsAppText(PhoneNumberId, WaId, "Olivia Smith", "wamid.IN1", "Where is my order?"));
        var (chatId, _) = await ChatWithAsync("whatsapp", "+" + WaId, "wamid.IN1");
        var reply = await tenant.Admin.SendOkAsync(chatId, text);
        var sent = (await graph.WaitForRequestsAsync(1)).Last();
        return (chatId, reply.Str("id"), sent);
    }

    [Fact]
    public async Task AWhatsAppMessageCreatesTheClientTheChatAndTheMessage()
    {
        await DeliverAsync(MetaWebhookBodies.WhatsAppText(PhoneNumberId, WaId, "Olivia Smith", "wamid.HBgLMTQxNTU1NTAxMjM", "Is my order shipped?"));

        var (chatId, messages) = await ChatWithAsync("whatsapp", "+" + WaId, "wamid.HBgLMTQxNTU1NTAxMjM");

        var client = (await ClientOfAsync("whatsapp", "+" + WaId))!.Value;
        Assert.Equal(("Olivia", "Smith"), (client.Str("firstName"), client.Str("lastName")));
        var message = Assert.Single(messages);
        Assert.Equal(("inbound", "whatsapp", "Is my order shipped?", "received"), (message.Str("direction"), message.Str("transport"), message.Str("text"), message.Str("status")));
        Assert.Equal("whatsapp", message.GetProperty("sender").Str("type"));
        var chat = (await tenant.Admin.GetOkAsync("/api/v1/chats")).Items().Single(c => c.Str("id") == chatId);
        Assert.Equal(1, chat.GetProperty("unreadCount").GetInt64());
    }

    [Fact]
    public async Task ARedeliveredWebhookStoresNothingNew()
    {
        var first = MetaWebhookBodies.WhatsAppText(PhoneNumberId, WaId, "Olivia Smith", "wamid.ONCE", "hello");
        await DeliverAsync(first);
        await ChatWithAsync("whatsapp", "+" + WaId, "wamid.ONCE");

        await DeliverAsync(first);
        await DeliverAsync(first);
        // The stream keeps one contact's messages in order: once the next one is in, the redeliveries were handled.
        await DeliverAsync(MetaWebhookBodies.WhatsAppText(PhoneNumberId, WaId, "Olivia Smith", "wamid.NEXT", "are you there?"));
        var (_, messages) = await ChatWithAsync("whatsapp", "+" + WaId, "wamid.NEXT");

        Assert.Equal(["hello", "are you there?"], messages.Select(m => m.Str("text")));
    }

    [Fact]
    public async Task AWebhookWithABadOrMissingSignatureIsRefusedAndStoresNothing()
    {
        var forged = MetaWebhookBodies.WhatsAppText(PhoneNumberId, WaId, "Mallory", "wamid.FORGED", "send me the invoices");
        var signedOther = MetaWebhookBodies.WhatsAppText(PhoneNumberId, WaId, "Mallory", "wamid.FORGED", "hi");

        var tampered = await PostWebhookAsync(forged, MetaWebhookBodies.Sign(AppSecret, signedOther));
        var wrongSecret = await PostWebhookAsync(forged, MetaWebhookBodies.Sign("not-the-app-secret", forged));
        var missing = await PostWebhookAsync(forged, null);

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized], new[] { tampered.StatusCode, wrongSecret.StatusCode, missing.StatusCode });
        await DeliverAsync(MetaWebhookBodies.WhatsAppText(PhoneNumberId, WaId, "Olivia Smith", "wamid.REAL", "the real one"));
        var (_, messages) = await ChatWithAsync("whatsapp", "+" + WaId, "wamid.REAL");
        Assert.Equal(["the real one"], messages.Select(m => m.Str("text")));
        Assert.Equal("Olivia", (await ClientOfAsync("whatsapp", "+" + WaId))!.Value.Str("firstName"));
    }

    [Fact]
    public async Task TheSubscriptionHandshakeEchoesTheChallengeOnlyForTheRightToken()
    {
        using var http = fixture.Anonymous();

        var right = await http.GetAsync($"/webhooks/meta/{tenant.Id}?hub.mode=subscribe&hub.verify_token={VerifyToken}&hub.challenge=1158201444");
        var wrong = await http.GetAsync($"/webhooks/meta/{tenant.Id}?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444");

        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal("1158201444", await right.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
    }

    [Fact]
    public async Task ATenantWithoutMetaHasNoMetaWebhook()
    {
        var other = await fixture.CreateTenantAsync(_ => new TenantChannels());
        var body = MetaWebhookBodies.WhatsAppText(PhoneNumberId, WaId, "Olivia Smith", "wamid.X", "hi");
        using var http = fixture.Anonymous();

        var post = await PostWebhookAsync(body, MetaWebhookBodies.Sign(AppSecret, body), other.Id);
        var verify = await http.GetAsync($"/webhooks/meta/{other.Id}?hub.mode=subscribe&hub.verify_token={VerifyToken}&hub.challenge=1");
        var unknown = await http.GetAsync($"/webhooks/meta/tn_doesnotexist?hub.mode=subscribe&hub.verify_token={VerifyToken}&hub.challenge=1");

        Assert.Equal([HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound], new[] { post.StatusCode, verify.StatusCode, unknown.StatusCode });
    }

    [Fact]
    public async Task AnAgentsReplyReachesWhatsAppAndStatusesOutOfOrderEndAtRead()
    {
        var (chatId, messageId, sent) = await ReplyAsync("It ships tomorrow.");

        Assert.Equal($"/v21.0/{PhoneNumberId}/messages", sent.Path);
        Assert.Equal($"Bearer {AccessToken}", sent.Authorization);
        Assert.Equal((WaId, "text", "It ships tomorrow."), (sent.Body.GetProperty("to").GetString(), sent.Body.GetProperty("type").GetString(), sent.Body.GetProperty("text").GetProperty("body").GetString()));
        var accepted = await MessageAsync(chatId, messageId, m => m.GetProperty("providerMessageId").GetString() == sent.MessageId, "the wamid stored");
        Assert.Equal("sending", accepted.Str("status"));

        await DeliverAsync(MetaWebhookBodies.WhatsAppStatus(PhoneNumberId, sent.MessageId!, "read", WaId, 1_760_000_400, callbackData: messageId));
        await DeliverAsync(MetaWebhookBodies.WhatsAppStatus(PhoneNumberId, sent.MessageId!, "delivered", WaId, 1_760_000_300));
        await DeliverAsync(MetaWebhookBodies.WhatsAppStatus(PhoneNumberId, sent.MessageId!, "sent", WaId, 1_760_000_200));

        var final = (await tenant.Admin.MessagesAsync(chatId)).Single(m => m.Str("id") == messageId);
        Assert.Equal("read", final.Str("status"));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_760_000_400), final.GetProperty("readAt").GetDateTimeOffset());
        Assert.NotEqual(JsonValueKind.Null, final.GetProperty("deliveredAt").ValueKind);
        Assert.Single(graph.Requests);
    }

    [Fact]
    public async Task ATooManyRequestsAnswerIsRetriedUntilTheReplyGoesOut()
    {
        graph.AnswerError(429, 130429, "Rate limit hit", retryAfterSeconds: 1);

        var (chatId, messageId, _) = await ReplyAsync("Sorry for the wait.");
        var requests = await graph.WaitForRequestsAsync(2);

        Assert.Equal([429, 200], requests.Select(r => r.AnsweredStatus));
        Assert.Equal(requests[0].Body.GetRawText(), requests[1].Body.GetRawText());
        var message = await MessageAsync(chatId, messageId, m => m.Str("status") == "sending", "the retried send");
        Assert.Equal(requests[1].MessageId, message.GetProperty("providerMessageId").GetString());
    }

    [Fact]
    public async Task AnUndeliverableReplyIsMarkedFailedWithMetasCode()
    {
        graph.AnswerError(400, 131026, "Message undeliverable");

        var (chatId, messageId, _) = await ReplyAsync("Hello?");

        var message = await MessageAsync(chatId, messageId, m => m.Str("status") == "failed", "the failed send");
        Assert.Equal("131026", message.Str("errorCode"));
        await Task.Delay(2500);
        Assert.Single(graph.Requests);
    }

    [Fact]
    public async Task AFailedStatusReportMarksAnAcceptedReplyFailedWithItsCode()
    {
        var (chatId, messageId, sent) = await ReplyAsync("Your code is 1234");
        await MessageAsync(chatId, messageId, m => m.Str("status") == "sending", "the wamid stored");

        await DeliverAsync(MetaWebhookBodies.WhatsAppStatus(PhoneNumberId, sent.MessageId!, "failed", WaId, errorCode: 131047));

        var message = (await tenant.Admin.MessagesAsync(chatId)).Single(m => m.Str("id") == messageId);
        Assert.Equal(("failed", "131047"), (message.Str("status"), message.Str("errorCode")));
    }

    [Fact]
    public async Task AnInstagramMessageReachesItsChatWithoutTheEchoAndTheReplyGoesBackToTheSender()
    {
        await DeliverAsync(MetaWebhookBodies.InstagramMessage(IgAccountId, "6543219876543210", "aWdfZAG1ECHO", "our own earlier send", isEcho: true));
        await DeliverAsync(MetaWebhookBodies.InstagramMessage(IgAccountId, "6543219876543210", "aWdfZAG1MTIz", "Do you ship to Canada?"));

        var (chatId, messages) = await ChatWithAsync("other", "instagram:6543219876543210", "aWdfZAG1MTIz");
        await tenant.Admin.SendOkAsync(chatId, "Yes, we do.");
        var sent = Assert.Single(await graph.WaitForRequestsAsync(1));

        Assert.Equal(["Do you ship to Canada?"], messages.Select(m => m.Str("text")));
        Assert.Equal("instagram", messages[0].Str("transport"));
        // The echo travels on its own contact's stream; give it time to show up if it were (wrongly) taken as a client's message.
        await Task.Delay(1000);
        Assert.Single(await tenant.Admin.AllClientsAsync());
        Assert.Equal($"/v21.0/{IgAccountId}/messages", sent.Path);
        Assert.Equal("6543219876543210", sent.Body.GetProperty("recipient").GetProperty("id").GetString());
        Assert.Equal("Yes, we do.", sent.Body.GetProperty("message").GetProperty("text").GetString());
    }
}
