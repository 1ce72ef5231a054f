using System.Net;
using System.Net.Http.Json;

namespace Crm.Api.Tests;

/// <summary>Every bad request is a 400 ProblemDetails naming the field, and changes nothing.</summary>
[Collection(ApiCollection.Name)]
public sealed class ValidationTests(ApiFixture fixture)
{
    private CrmApiFactory Factory => fixture.Factory;

    [Theory]
    [InlineData("""{"lastName":"Lee"}""", "firstName")]
    [InlineData("""{"firstName":""}""", "firstName")]
    [InlineData("""{"firstName":null}""", "firstName")]
    [InlineData("""{"firstName":"Ann","contacts":[{"type":"phone","value":"12"}]}""", "contacts[0].value")]
    [InlineData("""{"firstName":"Ann","contacts":[{"type":"email","value":"a@b.co"},{"type":"phone","value":"not a phone"}]}""", "contacts[1].value")]
    [InlineData("""{"firstName":"Ann","contacts":[{"type":"fax","value":"+14155550123"}]}""", "contacts[0].type")]
    [InlineData("""{"firstName":"Ann","contacts":[{"type":"phone"}]}""", "contacts[0].value")]
    [InlineData("""{"firstName":"Ann","contacts":{"type":"phone","value":"+14155550123"}}""", "contacts")]
    [InlineData("""{"firstName":5}""", "firstName")]
    [InlineData("""{"firstName":"Ann","lastName":["Lee"]}""", "lastName")]
    [InlineData("""{"firstName":"Ann","nickname":"Annie"}""", "nickname")]
    [InlineData("""{"firstName":"Ann","id":"cl_mine"}""", "id")]
    [InlineData("""{"firstName":"Ann","dateOfBirth":"01/04/1990"}""", "dateOfBirth")]
    [InlineData("""{"firstName":"Ann","dateOfBirth":"1990-02-30"}""", "dateOfBirth")]
    [InlineData("""{"firstName":"Ann","dateOfBirth":"2999-01-01"}""", "dateOfBirth")]
    [InlineData("""{"firstName":"Ann","gender":"robot"}""", "gender")]
    [InlineData("""{"firstName":"Ann","phone":"call me"}""", "phone")]
    [InlineData("""{"firstName":"Ann","email":"ann at example"}""", "email")]
    [InlineData("""["Ann"]""", "body")]
    public async Task ABadClientCreateIsRejectedAndStoresNothing(string json, string field)
    {
        var tenant = await Factory.CreateTenantAsync();

        var response = await tenant.Admin.PostRawAsync("/api/v1/clients", json);

        await response.AssertInvalidAsync(field);
        Assert.Empty(await tenant.Admin.AllClientsAsync());
    }

    [Theory]
    [InlineData("""{"firstName": "Ann",""")]
    [InlineData("""{firstName: "Ann"}""")]
    [InlineData("not json")]
    public async Task MalformedJsonIsRejectedAsAProblemAndStoresNothing(string json)
    {
        var tenant = await Factory.CreateTenantAsync();

        var response = await tenant.Admin.PostRawAsync("/api/v1/clients", json);

        await response.AssertInvalidAsync("body");
        Assert.Empty(await tenant.Admin.AllClientsAsync());
    }

    [Fact]
    public async Task AllBadFieldsOfOneRequestAreNamedTogether()
    {
        var tenant = await Factory.CreateTenantAsync();

        var response = await tenant.Admin.PostRawAsync("/api/v1/clients",
            """{"nickname":"A","dateOfBirth":"1990-13-01","contacts":[{"type":"fax","value":"1"},{"type":"phone","value":"nope"}]}""");

        await response.AssertInvalidAsync("firstName", "nickname", "dateOfBirth", "contacts[0].type", "contacts[1].value");
        Assert.Empty(await tenant.Admin.AllClientsAsync());
    }

    [Theory]
    [InlineData("""{"phone":"nope"}""", "phone")]
    [InlineData("""{"dateOfBirth":"1990-13-01"}""", "dateOfBirth")]
    [InlineData("""{"firstName":7}""", "firstName")]
    [InlineData("""{"nickname":"Annie"}""", "nickname")]
    [InlineData("""{"lastName":"Park","email":"not-an-email"}""", "email")]
    public async Task ABadPatchIsRejectedAndChangesNothing(string json, string field)
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = (await tenant.Admin.CreateClientAsync(new { firstName = "Ann", lastName = "Lee", phone = "+14155550123" })).Str("id");
        var before = await tenant.Admin.RawAsync($"/api/v1/clients/{id}");

        var response = await tenant.Admin.PatchJsonAsync($"/api/v1/clients/{id}", json);

        await response.AssertInvalidAsync(field);
        Assert.Equal(before, await tenant.Admin.RawAsync($"/api/v1/clients/{id}"));
    }

    [Theory]
    [InlineData("phone", "12345")]
    [InlineData("email", "nope")]
    [InlineData("telegram", "@a")]
    [InlineData("phone", "")]
    public async Task AddingABadContactIsRejectedAndChangesNothing(string type, string value)
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = await tenant.Admin.CreateClientIdAsync();
        var before = await tenant.Admin.RawAsync($"/api/v1/clients/{id}");

        var response = await tenant.Admin.PostAsJsonAsync($"/api/v1/clients/{id}/contacts", new { type, value });

        await response.AssertInvalidAsync("value");
        Assert.Equal(before, await tenant.Admin.RawAsync($"/api/v1/clients/{id}"));
    }

    [Fact]
    public async Task AddingAContactOfAnUnknownTypeIsRejectedAndChangesNothing()
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = await tenant.Admin.CreateClientIdAsync();
        var before = await tenant.Admin.RawAsync($"/api/v1/clients/{id}");

        var response = await tenant.Admin.PostAsJsonAsync($"/api/v1/clients/{id}/contacts", new { type = "fax", value = "+14155550199" });

        await response.AssertInvalidAsync("type");
        Assert.Equal(before, await tenant.Admin.RawAsync($"/api/v1/clients/{id}"));
    }

    [Theory]
    [InlineData("""{"text":"hi","transport":"pigeon"}""", "transport")]
    [InlineData("""{"text":""}""", "text")]
    [InlineData("""{}""", "text")]
    [InlineData("""{"text":5}""", "text")]
    [InlineData("""{"text":"hi","attachments":["../etc/passwd"]}""", "attachments")]
    public async Task ABadSendIsRejectedAndStoresNothing(string json, string field)
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        var before = await tenant.Admin.RawAsync($"/api/v1/chats/{chatId}");

        var response = await tenant.Admin.PostRawAsync($"/api/v1/chats/{chatId}/messages", json);

        await response.AssertInvalidAsync(field);
        Assert.Empty(await tenant.Admin.MessagesAsync(chatId));
        Assert.Equal(before, await tenant.Admin.RawAsync($"/api/v1/chats/{chatId}"));
    }

    [Fact]
    public async Task OversizeTextIsRejectedAndStoresNothing()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());

        var response = await tenant.Admin.SendAsync(chatId, new { text = new string('x', 4097) });

        await response.AssertInvalidAsync("text");
        Assert.Empty(await tenant.Admin.MessagesAsync(chatId));
    }

    [Fact]
    public async Task TextOfTheMaximumLengthIsSentWhole()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        var text = new string('x', 4096);

        var response = await tenant.Admin.SendAsync(chatId, new { text });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(text, Assert.Single(await tenant.Admin.MessagesAsync(chatId)).Str("text"));
    }

    [Fact]
    public async Task AnOversizeIdempotencyKeyIsRejectedAndStoresNothing()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());

        var response = await tenant.Admin.SendAsync(chatId, new { text = "hi" }, new string('k', 201));

        await response.AssertInvalidAsync("idempotency-key");
        Assert.Empty(await tenant.Admin.MessagesAsync(chatId));
    }

    [Theory]
    [InlineData("/api/v1/clients?limit=0")]
    [InlineData("/api/v1/clients?limit=201")]
    [InlineData("/api/v1/clients?limit=-1")]
    [InlineData("/api/v1/chats?limit=0")]
    [InlineData("/api/v1/chats?limit=201")]
    [InlineData("/api/v1/templates?limit=0")]
    [InlineData("/api/v1/templates?limit=201")]
    [InlineData("/api/v1/users?limit=0")]
    [InlineData("/api/v1/users?limit=201")]
    [InlineData("/api/v1/messages/search?query=hi&limit=0")]
    [InlineData("/api/v1/messages/search?query=hi&limit=201")]
    public async Task ALimitOutsideOneTo200IsRejected(string url)
    {
        var tenant = await Factory.CreateTenantAsync();

        var response = await tenant.Admin.GetAsync(url);

        await response.AssertInvalidAsync("limit");
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=201")]
    [InlineData("before=0")]
    [InlineData("after=-1")]
    public async Task ABadMessagePageIsRejected(string query)
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());

        var response = await tenant.Admin.GetAsync($"/api/v1/chats/{chatId}/messages?{query}");

        await response.AssertInvalidAsync(query.Split('=')[0]);
    }

    [Fact]
    public async Task TheLimitBoundsThemselvesAreAccepted()
    {
        var tenant = await Factory.CreateTenantAsync();
        for (var i = 0; i < 2; i++)
            await tenant.Admin.CreateClientAsync(new { firstName = $"C{i}" });

        var one = await tenant.Admin.GetOkAsync("/api/v1/clients?limit=1");
        var max = await tenant.Admin.GetOkAsync("/api/v1/clients?limit=200");
        var byDefault = await tenant.Admin.GetOkAsync("/api/v1/clients");

        Assert.Single(one.Items());
        Assert.Equal(2, max.Items().Count);
        Assert.Equal(2, byDefault.Items().Count);
    }

    [Fact]
    public async Task ANonNumericLimitIsRejectedNamingTheParameter()
    {
        var tenant = await Factory.CreateTenantAsync();

        var response = await tenant.Admin.GetAsync("/api/v1/clients?limit=ten");

        await response.AssertInvalidAsync("limit");
    }

    // The JSON escapes travel as written: \u0000 is the NUL a widget or integration sends, \ud800 a lone surrogate.
    [Theory]
    [InlineData("POST", "/api/v1/clients", """{"firstName":"Ann\u0000"}""", "firstName")]
    [InlineData("POST", "/api/v1/clients", """{"firstName":"Ann","contacts":[{"type":"phone","value":"+14155550100"},{"type":"other","value":"skype:\u0007ann"}]}""", "contacts[1].value")]
    [InlineData("POST", "/api/v1/clients", """{"firstName":"Ann","lastName":"\ud800"}""", "lastName")]
    [InlineData("PATCH", "/api/v1/clients/{client}", """{"comment":"call \u001b back"}""", "comment")]
    [InlineData("POST", "/api/v1/clients/{client}/contacts", """{"type":"other","value":"\u0085x"}""", "value")]
    [InlineData("POST", "/api/v1/chats/{chat}/messages", """{"text":"before\u0000after"}""", "text")]
    [InlineData("POST", "/api/v1/chats/{chat}/log", """{"text":"called\u0000"}""", "text")]
    [InlineData("POST", "/api/v1/chats/{chat}/members", """{"kind":"service","serviceName":"bot\u0000"}""", "serviceName")]
    [InlineData("POST", "/api/v1/templates", """{"name":"Ship\u0000","text":"We ship"}""", "name")]
    [InlineData("POST", "/api/v1/templates", """{"name":"Ship","text":"We\u007f ship"}""", "text")]
    [InlineData("POST", "/api/v1/users", """{"name":"Sam\u0000","role":"agent"}""", "name")]
    [InlineData("POST", "/api/v1/users", """{"name":"Sam","role":"agent","email":"sam\u0000@example.com","password":"long enough password"}""", "email")]
    [InlineData("GET", "/api/v1/clients?query=ann%00", null, "query")]
    [InlineData("GET", "/api/v1/messages/search?query=ann%01", null, "query")]
    public async Task ControlCharactersAndInvalidUnicodeAreRefusedNamingTheFieldAndStoreNothing(string method, string url, string? json, string field)
    {
        var tenant = await Factory.CreateTenantAsync();
        var clientId = await tenant.Admin.CreateClientIdAsync();
        var chatId = await tenant.Admin.ChatIdAsync(clientId);
        var before = await StateAsync(tenant, clientId, chatId);
        using var request = new HttpRequestMessage(new HttpMethod(method), url.Replace("{client}", clientId).Replace("{chat}", chatId));
        if (json is not null)
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");

        var response = await tenant.Admin.SendAsync(request);

        await response.AssertInvalidAsync(field);
        Assert.Equal(before, await StateAsync(tenant, clientId, chatId));
    }

    /// <summary>What the tenant holds that any of the refused requests could have changed.</summary>
    private static async Task<string> StateAsync(Tenant tenant, string clientId, string chatId) => string.Join('\n',
        await tenant.Admin.RawAsync($"/api/v1/clients/{clientId}"), await tenant.Admin.RawAsync($"/api/v1/chats/{chatId}"),
        await tenant.Admin.RawAsync($"/api/v1/chats/{chatId}/messages"), await tenant.Admin.RawAsync("/api/v1/templates"),
        await tenant.Admin.RawAsync("/api/v1/users"), await tenant.Admin.RawAsync("/api/v1/clients"));

    [Fact]
    public async Task TabsNewLinesAndEmojiAreKept()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());

        var response = await tenant.Admin.PostRawAsync($"/api/v1/chats/{chatId}/messages", """{"text":"line one\r\n\tline two \ud83d\ude00"}""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("line one\r\n\tline two \U0001F600", Assert.Single(await tenant.Admin.MessagesAsync(chatId)).Str("text"));
    }

    [Fact]
    public async Task AChatListCursorThisApiDidNotGiveOutIsRejected()
    {
        var tenant = await Factory.CreateTenantAsync();

        var response = await tenant.Admin.GetAsync("/api/v1/chats?cursor=garbage");

        await response.AssertInvalidAsync("cursor");
    }
}
