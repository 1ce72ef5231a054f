using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Crm.Providers;

namespace Crm.Api.Tests.Channels;

/// <summary>The website widget through the real API and silo: visitor sessions, messages in, agent replies read back by polling.</summary>
[Collection(ChannelCollection.Name)]
public sealed class WidgetChannelTests(ChannelApiFixture fixture) : IAsyncLifetime
{
    private const string SiteSecret = "site-secret-for-tests-of-32-chars-at-least";
    private Tenant tenant = null!;
    private string siteKey = "";

    public async Task InitializeAsync()
    {
        tenant = await fixture.CreateTenantAsync(id => new TenantChannels
        {
            Widget = new WidgetSettings { SiteKey = "pk_" + id, SiteSecret = SiteSecret, TokenSecret = "token-secret-" + id },
        });
        siteKey = "pk_" + tenant.Id;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private sealed record Visitor(string Id, HttpClient Http);

    private static string HashOf(string identifier) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(SiteSecret), Encoding.UTF8.GetBytes(identifier)));

    private async Task<HttpResponseMessage> StartAsync(object body)
    {
        using var http = fixture.Anonymous();
        return await http.PostAsJsonAsync("/api/v1/widget/sessions", body);
    }

    private async Task<Visitor> VisitorAsync(object? body = null)
    {
        var response = await StartAsync(body ?? new { siteKey, name = "Maya Lee" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var session = await response.BodyAsync();
        var http = fixture.Anonymous();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", session.Str("token"));
        return new Visitor(session.Str("visitorId"), http);
    }

    private static async Task WriteAsync(Visitor visitor, string text, string? clientMessageId = null)
    {
        var response = await visitor.Http.PostAsJsonAsync("/api/v1/widget/messages", new { text, clientMessageId });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    private static async Task<IReadOnlyList<JsonElement>> ReadAsync(Visitor visitor, long after = 0) =>
        (await visitor.Http.GetOkAsync($"/api/v1/widget/messages?after={after}")).Items();

    private static async Task<IReadOnlyList<JsonElement>> ReadUntilAsync(Visitor visitor, Func<IReadOnlyList<JsonElement>, bool> done, string what) =>
        await Channel.EventuallyAsync(() => ReadAsync(visitor), done, what);

    private async Task<JsonElement> ChatOfAsync(string text) =>
        await Channel.EventuallyAsync(
            async () => (await tenant.Admin.GetOkAsync("/api/v1/chats")).Items().FirstOrDefault(c => c.GetProperty("lastMessage").ValueKind == JsonValueKind.Object && c.GetProperty("lastMessage").Str("text") == text),
            chat => chat.ValueKind == JsonValueKind.Object, $"a chat whose last message is '{text}'");

    [Fact]
    public async Task AVisitorsMessageShowsUpInTheAgentsChatList()
    {
        var visitor = await VisitorAsync();

        await WriteAsync(visitor, "Do you deliver on Sundays?");

        var chat = await ChatOfAsync("Do you deliver on Sundays?");
        Assert.Equal(1, chat.GetProperty("unreadCount").GetInt64());
        var message = Assert.Single(await tenant.Admin.MessagesAsync(chat.Str("id")));
        Assert.Equal(("inbound", "website"), (message.Str("direction"), message.Str("transport")));
        var client = await tenant.Admin.GetOkAsync($"/api/v1/clients/lookup?type=other&value={Uri.EscapeDataString("website:" + visitor.Id)}");
        Assert.Equal(("Maya", "Lee"), (client.Str("firstName"), client.Str("lastName")));
    }

    [Fact]
    public async Task AnAgentsReplyIsReadByTheVisitorsWidget()
    {
        var visitor = await VisitorAsync();
        await WriteAsync(visitor, "Is the blue one in stock?");
        var chat = await ChatOfAsync("Is the blue one in stock?");

        var reply = await tenant.Admin.SendOkAsync(chat.Str("id"), "Yes, three left.");

        var messages = await ReadUntilAsync(visitor, m => m.Count == 2 && m[1].Str("status") == "sent", "the agent's reply as sent");
        Assert.Equal([("visitor", "Is the blue one in stock?"), ("agent", "Yes, three left.")], messages.Select(m => (m.Str("from"), m.Str("text"))));
        Assert.Equal(reply.Str("id"), messages[1].Str("id"));
        var page = await visitor.Http.GetOkAsync($"/api/v1/widget/messages?after={messages[0].GetProperty("seq").GetInt64()}");
        Assert.Equal(["Yes, three left."], page.Items().Select(m => m.Str("text")));
        Assert.Equal(messages[1].GetProperty("seq").GetInt64(), page.GetProperty("lastSeq").GetInt64());
    }

    [Fact]
    public async Task ARetriedMessageWithTheSameClientMessageIdIsStoredOnce()
    {
        var visitor = await VisitorAsync();

        await WriteAsync(visitor, "Hello", "c-1");
        await WriteAsync(visitor, "Hello", "c-1");
        await WriteAsync(visitor, "Anyone there?", "c-2");

        var messages = await ReadUntilAsync(visitor, m => m.Any(x => x.Str("text") == "Anyone there?"), "the second message");
        Assert.Equal([("Hello", "c-1"), ("Anyone there?", "c-2")], messages.Select(m => (m.Str("text"), m.Str("clientMessageId"))));
    }

    [Fact]
    public async Task AVisitorSeesOnlyTheirOwnConversation()
    {
        var maya = await VisitorAsync();
        var sam = await VisitorAsync(new { siteKey, name = "Sam" });
        await WriteAsync(maya, "my address is 1 Elm St");
        await ReadUntilAsync(maya, m => m.Count == 1, "Maya's message");

        await WriteAsync(sam, "hi");
        var samSees = await ReadUntilAsync(sam, m => m.Count == 1, "Sam's message");

        Assert.Equal(["hi"], samSees.Select(m => m.Str("text")));
    }

    [Fact]
    public async Task WithoutAValidVisitorTokenNothingIsAcceptedOrShown()
    {
        var visitor = await VisitorAsync();
        var token = visitor.Http.DefaultRequestHeaders.Authorization!.Parameter!;
        using var forged = fixture.Anonymous();
        forged.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token[..^3] + (token[^3] == 'A' ? "B" : "A") + token[^2..]);
        using var apiKey = fixture.Anonymous();
        apiKey.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tenant.AdminKey);
        using var none = fixture.Anonymous();

        var responses = new[]
        {
            await forged.PostAsJsonAsync("/api/v1/widget/messages", new { text = "hi" }),
            await apiKey.PostAsJsonAsync("/api/v1/widget/messages", new { text = "hi" }),
            await none.PostAsJsonAsync("/api/v1/widget/messages", new { text = "hi" }),
            await forged.GetAsync("/api/v1/widget/messages"),
            await none.GetAsync("/api/v1/widget/messages"),
        };

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        await WriteAsync(visitor, "the only message");
        Assert.Equal(["the only message"], (await ReadUntilAsync(visitor, m => m.Count > 0, "the real message")).Select(m => m.Str("text")));
    }

    [Fact]
    public async Task AnIdentifiedUserKeepsTheirConversationAcrossSessions()
    {
        var first = await VisitorAsync(new { siteKey, identifier = "customer-42", identityHash = HashOf("customer-42"), name = "Ana" });
        await WriteAsync(first, "from my laptop");
        await ReadUntilAsync(first, m => m.Count == 1, "the first message");

        var second = await VisitorAsync(new { siteKey, identifier = "customer-42", identityHash = HashOf("customer-42") });

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(["from my laptop"], (await ReadAsync(second)).Select(m => m.Str("text")));
    }

    [Fact]
    public async Task AWrongIdentityHashIsRejected()
    {
        var wrong = await StartAsync(new { siteKey, identifier = "customer-42", identityHash = HashOf("customer-43") });
        var missing = await StartAsync(new { siteKey, identifier = "customer-42" });

        await wrong.AssertProblemAsync(HttpStatusCode.Unauthorized);
        await missing.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AnUnknownSiteKeyGetsNoSessionAndAMissingOneIsNamed()
    {
        var unknown = await StartAsync(new { siteKey = "pk_nobody" });
        var missing = await StartAsync(new { name = "Maya" });

        await unknown.AssertProblemAsync(HttpStatusCode.NotFound);
        await missing.AssertInvalidAsync("siteKey");
    }

    [Theory]
    [InlineData("token-secret-of-31-characters-x", null)]
    [InlineData("token-secret-of-at-least-32-chars", "site-secret-of-31-characters-xx")]
    public async Task AWidgetWhoseSecretIsShorterThan32CharactersStartsNoSession(string tokenSecret, string? siteSecret)
    {
        var weak = await fixture.CreateTenantAsync(id => new TenantChannels
        {
            Widget = new WidgetSettings { SiteKey = "pk_weak_" + id, SiteSecret = siteSecret, TokenSecret = tokenSecret },
        });

        var response = await StartAsync(new { siteKey = "pk_weak_" + weak.Id, name = "Maya" });

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AnEmptyMessageIsRefusedWithTheFieldNamed()
    {
        var visitor = await VisitorAsync();

        var response = await visitor.Http.PostAsJsonAsync("/api/v1/widget/messages", new { text = "  ", clientMessageId = "has spaces" });

        await response.AssertInvalidAsync("text", "clientMessageId");
    }

    [Fact]
    public async Task AMessageWithANulIsRefusedNamingTheTextAndTheNextOneIsStoredAtOnce()
    {
        var visitor = await VisitorAsync();
        using var poisoned = new StringContent("""{"text":"before\u0000after"}""", Encoding.UTF8, "application/json");

        var refused = await visitor.Http.PostAsync("/api/v1/widget/messages", poisoned);
        await WriteAsync(visitor, "Can you hear me?");

        await refused.AssertInvalidAsync("text");
        // Stream delivery takes a fraction of a second; a message stuck behind a poisoned one waited a minute.
        var messages = await Channel.EventuallyAsync(() => ReadAsync(visitor), m => m.Count > 0, "the next message", seconds: 10);
        Assert.Equal(["Can you hear me?"], messages.Select(m => m.Str("text")));
    }

    [Fact]
    public async Task AVisitorNameWithAControlCharacterIsRefusedNamingIt()
    {
        using var body = new StringContent($$"""{"siteKey":"{{siteKey}}","name":"Maya\u0007"}""", Encoding.UTF8, "application/json");
        using var http = fixture.Anonymous();

        var response = await http.PostAsync("/api/v1/widget/sessions", body);

        await response.AssertInvalidAsync("name");
    }

    [Fact]
    public async Task TheWidgetMayCallFromTheTenantsSite()
    {
        using var http = fixture.Anonymous();
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/v1/widget/messages");
        preflight.Headers.Add("Origin", "https://shop.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");

        var response = await http.SendAsync(preflight);

        Assert.True(response.IsSuccessStatusCode, $"preflight answered {response.StatusCode}");
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }
}
