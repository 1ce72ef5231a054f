using System.Net;
using System.Net.Http.Json;

namespace Crm.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class AuthTests(ApiFixture fixture)
{
    private CrmApiFactory Factory => fixture.Factory;

    public static TheoryData<string, string> Endpoints => new()
    {
        { "GET", "/api/v1/me" },
        { "GET", "/api/v1/clients" },
        { "POST", "/api/v1/clients" },
        { "GET", "/api/v1/clients/lookup?type=phone&value=%2B14155550123" },
        { "GET", "/api/v1/chats" },
        { "GET", "/api/v1/messages/search?query=hi" },
        { "GET", "/api/v1/templates" },
        { "POST", "/api/v1/templates" },
        { "GET", "/api/v1/users" },
        { "POST", "/api/v1/users" },
        { "POST", "/api/v1/tenants" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task ARequestWithoutAKeyIs401(string method, string url)
    {
        using var anonymous = Factory.ClientWithKey(null);

        var response = await anonymous.SendAsync(Request(method, url));

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task ARequestWithAGarbageKeyIs401(string method, string url)
    {
        using var garbage = Factory.ClientWithKey("garbage");

        var response = await garbage.SendAsync(Request(method, url));

        await response.AssertProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AKeyWithAWrongSecretOrUnknownTenantIs401()
    {
        var tenant = await Factory.CreateTenantAsync();
        var parts = tenant.AdminKey.Split('.');
        using var wrongSecret = Factory.ClientWithKey($"{parts[0]}.{parts[1]}.{parts[2]}.{new string('A', parts[3].Length)}");
        using var unknownTenant = Factory.ClientWithKey($"{parts[0]}.tn_nothere.{parts[2]}.{parts[3]}");
        using var otherScheme = Factory.CreateClient();
        otherScheme.DefaultRequestHeaders.Add("Authorization", $"Basic {tenant.AdminKey}");

        var responses = new[]
        {
            await wrongSecret.GetAsync("/api/v1/clients"),
            await unknownTenant.GetAsync("/api/v1/clients"),
            await otherScheme.GetAsync("/api/v1/clients"),
        };

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.Equal(HttpStatusCode.OK, (await tenant.Admin.GetAsync("/api/v1/clients")).StatusCode);
    }

    [Fact]
    public async Task TheSystemKeyCreatesTenantsButReadsNoTenantData()
    {
        using var system = Factory.ClientWithKey(CrmApiFactory.SystemKey);

        var clients = await system.GetAsync("/api/v1/clients");
        var users = await system.PostAsJsonAsync("/api/v1/users", new { name = "Eve", role = "admin" });

        Assert.Equal(HttpStatusCode.Forbidden, clients.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, users.StatusCode);
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("lead")]
    [InlineData("agent")]
    [InlineData("sales")]
    public async Task OnlyTheSystemKeyCreatesTenants(string role)
    {
        var tenant = await Factory.CreateTenantAsync();
        var user = await Factory.CreateUserAsync(tenant, role);

        var response = await user.Http.PostAsJsonAsync("/api/v1/tenants", new { name = "Rogue" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [InlineData("sales")]
    [InlineData("agent")]
    [InlineData("lead")]
    public async Task OnlyAdminsManageUsers(string role)
    {
        var tenant = await Factory.CreateTenantAsync();
        var user = await Factory.CreateUserAsync(tenant, role);

        var create = await user.Http.PostAsJsonAsync("/api/v1/users", new { name = "Eve", role = "admin" });
        var list = await user.Http.GetAsync("/api/v1/users");
        var deactivate = await user.Http.DeleteAsync($"/api/v1/users/{tenant.AdminUserId}");

        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, deactivate.StatusCode);
        var users = await tenant.Admin.WalkAsync("/api/v1/users?limit=200");
        Assert.Equal(2, users.Count);
        Assert.All(users, u => Assert.True(u.GetProperty("active").GetBoolean()));
    }

    [Theory]
    [InlineData("sales")]
    [InlineData("agent")]
    [InlineData("lead")]
    public async Task OnlyAdminsCreateTemplates(string role)
    {
        var tenant = await Factory.CreateTenantAsync();
        var user = await Factory.CreateUserAsync(tenant, role);

        var response = await user.Http.PostAsJsonAsync("/api/v1/templates", new { name = "Mine", text = "Hey" });

        await response.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Empty(await tenant.Admin.WalkAsync("/api/v1/templates?limit=200"));
    }

    [Fact]
    public async Task SalesCannotReadTemplates()
    {
        var tenant = await Factory.CreateTenantAsync();
        var sales = await Factory.CreateUserAsync(tenant, "sales");
        var url = (await tenant.Admin.PostAsJsonAsync("/api/v1/templates", new { name = "Welcome", text = "Hi" })).Headers.Location!.OriginalString;

        var list = await sales.Http.GetAsync("/api/v1/templates");
        var read = await sales.Http.GetAsync(url);

        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
    }

    [Theory]
    [InlineData("sales")]
    [InlineData("agent")]
    [InlineData("lead")]
    public async Task OnlyAdminsDeleteAndRestoreClients(string role)
    {
        var tenant = await Factory.CreateTenantAsync();
        var user = await Factory.CreateUserAsync(tenant, role);
        var id = await tenant.Admin.CreateClientIdAsync();
        var deleted = await tenant.Admin.CreateClientIdAsync("Bob", "+14155550100");
        await tenant.Admin.DeleteAsync($"/api/v1/clients/{deleted}");

        var delete = await user.Http.DeleteAsync($"/api/v1/clients/{id}");
        var restore = await user.Http.PostAsync($"/api/v1/clients/{deleted}/restore", null);

        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, restore.StatusCode);
        Assert.Equal([id], (await tenant.Admin.AllClientsAsync()).IdsOf());
    }

    [Fact]
    public async Task SalesCannotMarkReadOrManageMembers()
    {
        var tenant = await Factory.CreateTenantAsync();
        var sales = await Factory.CreateUserAsync(tenant, "sales");
        var agent = await Factory.CreateUserAsync(tenant, "agent");
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        var before = await tenant.Admin.RawAsync($"/api/v1/chats/{chatId}");

        var read = await sales.Http.PostAsJsonAsync($"/api/v1/chats/{chatId}/read", new { upToSeq = 1 });
        var member = await sales.Http.PostAsJsonAsync($"/api/v1/chats/{chatId}/members", new { kind = "user", userId = agent.Id });

        Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, member.StatusCode);
        Assert.Equal(before, await tenant.Admin.RawAsync($"/api/v1/chats/{chatId}"));
    }

    [Fact]
    public async Task SalesWorkWithClientsAndSendMessages()
    {
        var tenant = await Factory.CreateTenantAsync();
        var sales = await Factory.CreateUserAsync(tenant, "sales");

        var clientId = await sales.Http.CreateClientIdAsync();
        var patched = await sales.Http.PatchJsonAsync($"/api/v1/clients/{clientId}", """{"lastName":"Lee"}""");
        var chatId = await sales.Http.ChatIdAsync(clientId);
        var sent = await sales.Http.SendOkAsync(chatId, "hello");

        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal(sales.Id, sent.GetProperty("sender").Str("userId"));
        Assert.Equal("hello", Assert.Single(await tenant.Admin.MessagesAsync(chatId)).Str("text"));
    }

    [Fact]
    public async Task AgentsMarkReadAndAddMembers()
    {
        var tenant = await Factory.CreateTenantAsync();
        var agent = await Factory.CreateUserAsync(tenant, "agent");
        var lead = await Factory.CreateUserAsync(tenant, "lead");
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        await tenant.Admin.SendOkAsync(chatId, "hello");

        var read = await agent.Http.PostAsJsonAsync($"/api/v1/chats/{chatId}/read", new { upToSeq = 1 });
        var member = await agent.Http.PostAsJsonAsync($"/api/v1/chats/{chatId}/members", new { kind = "user", userId = lead.Id });

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.OK, member.StatusCode);
        var members = (await tenant.Admin.GetOkAsync($"/api/v1/chats/{chatId}")).GetProperty("members").EnumerateArray();
        Assert.Contains(members, m => m.Str("kind") == "user" && m.Str("userId") == lead.Id);
    }

    [Fact]
    public async Task AnotherTenantsClientIs404AndUnchanged()
    {
        var tenant = await Factory.CreateTenantAsync();
        var intruder = await Factory.CreateTenantAsync();
        var client = await tenant.Admin.CreateClientAsync(new { firstName = "Ann", contacts = new[] { new { type = "phone", value = "+14155550123" } } });
        var id = client.Str("id");
        var contactId = client.GetProperty("contacts")[0].Str("id");
        var url = $"/api/v1/clients/{id}";
        var before = await tenant.Admin.RawAsync(url);

        var responses = new[]
        {
            await intruder.Admin.GetAsync(url),
            await intruder.Admin.PatchJsonAsync(url, """{"firstName":"Eve"}"""),
            await intruder.Admin.DeleteAsync(url),
            await intruder.Admin.PostAsync($"{url}/restore", null),
            await intruder.Admin.PostAsJsonAsync($"{url}/contacts", new { type = "email", value = "eve@example.com" }),
            await intruder.Admin.DeleteAsync($"{url}/contacts/{contactId}"),
            await intruder.Admin.PutAsJsonAsync($"{url}/consent/sms", new { optedIn = false }),
            await intruder.Admin.GetAsync($"{url}/chat"),
        };

        foreach (var response in responses)
            await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(before, await tenant.Admin.RawAsync(url));
        Assert.Empty(await tenant.Admin.WalkAsync("/api/v1/chats?limit=200"));
        Assert.Empty(await intruder.Admin.AllClientsAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await intruder.Admin.GetAsync("/api/v1/clients/lookup?type=phone&value=%2B14155550123")).StatusCode);
    }

    [Fact]
    public async Task AnotherTenantsChatIs404AndUnchanged()
    {
        var tenant = await Factory.CreateTenantAsync();
        var intruder = await Factory.CreateTenantAsync();
        var intruderAgent = await Factory.CreateUserAsync(intruder, "agent");
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        await tenant.Admin.SendOkAsync(chatId, "private", "key-1");
        var chatBefore = await tenant.Admin.RawAsync($"/api/v1/chats/{chatId}");
        var messagesBefore = await tenant.Admin.RawAsync($"/api/v1/chats/{chatId}/messages");

        var responses = new[]
        {
            await intruder.Admin.GetAsync($"/api/v1/chats/{chatId}"),
            await intruder.Admin.GetAsync($"/api/v1/chats/{chatId}/messages"),
            await intruder.Admin.SendAsync(chatId, new { text = "injected", transport = "sms" }),
            await intruder.Admin.SendAsync(chatId, new { text = "replayed" }, "key-1"),
            await intruder.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/read", new { upToSeq = 1 }),
            await intruder.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/members", new { kind = "user", userId = intruderAgent.Id }),
        };

        foreach (var response in responses)
            await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(chatBefore, await tenant.Admin.RawAsync($"/api/v1/chats/{chatId}"));
        Assert.Equal(messagesBefore, await tenant.Admin.RawAsync($"/api/v1/chats/{chatId}/messages"));
        Assert.Empty(await intruder.Admin.WalkAsync("/api/v1/chats?limit=200"));
        Assert.Empty(await intruder.Admin.WalkAsync("/api/v1/messages/search?query=private&limit=200"));
    }

    private static HttpRequestMessage Request(string method, string url) =>
        new(new HttpMethod(method), url) { Content = method == "GET" ? null : JsonContent.Create(new { name = "X", firstName = "X", role = "agent", text = "X" }) };
}
