using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Crm.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class GdprTests(ApiFixture fixture)
{
    private const string Phone = "+14155550177";
    private const string Email = "zelda.quist@example.com";

    private CrmApiFactory Factory => fixture.Factory;

    [Fact]
    public async Task ExportHoldsProfileContactsConsentChatMessagesAttachmentsAndAudit()
    {
        var tenant = await Factory.CreateTenantAsync();
        var known = await ArrangeClientAsync(tenant);

        var export = await tenant.Admin.GetOkAsync($"/api/v1/clients/{known.ClientId}/export");

        var profile = export.GetProperty("profile");
        Assert.Equal("Zelda", profile.Str("firstName"));
        Assert.Equal([Phone, Email], profile.GetProperty("contacts").EnumerateArray().Select(c => c.Str("value")).Order(StringComparer.Ordinal));
        Assert.True(profile.GetProperty("consent").GetProperty("email").GetProperty("optedIn").GetBoolean());
        Assert.Equal(known.ChatId, export.GetProperty("chat").Str("id"));
        Assert.NotEmpty(export.GetProperty("chat").GetProperty("members").EnumerateArray());
        var messages = export.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["sms", "email", "phone"], messages.Select(m => m.Str("transport")));
        Assert.Equal(known.AttachmentId, Assert.Single(messages[1].GetProperty("attachments").EnumerateArray()).Str("id"));
        var attachment = Assert.Single(export.GetProperty("attachments").EnumerateArray());
        Assert.Equal(("contract.pdf", known.AttachmentId), (attachment.Str("fileName"), attachment.Str("id")));
        var actions = export.GetProperty("audit").EnumerateArray().Select(a => a.Str("action")).ToList();
        Assert.Contains("client.created", actions);
        Assert.Contains("client.consent_changed", actions);
        Assert.Contains("message.queued", actions);
        Assert.Contains("message.logged", actions);
        Assert.All(export.GetProperty("audit").EnumerateArray(), a => Assert.Equal(known.ClientId, a.Str("clientId")));
    }

    [Fact]
    public async Task ExportOfADeletedClientStillHoldsItsProfile()
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = await tenant.Admin.CreateClientIdAsync("Otto", "+14155550178");
        await tenant.Admin.DeleteAsync($"/api/v1/clients/{id}");

        var export = await tenant.Admin.GetOkAsync($"/api/v1/clients/{id}/export");

        Assert.Equal("Otto", export.GetProperty("profile").Str("firstName"));
        Assert.NotEqual(JsonValueKind.Null, export.GetProperty("profile").GetProperty("deletedAt").ValueKind);
        Assert.Contains("client.deleted", export.GetProperty("audit").EnumerateArray().Select(a => a.Str("action")));
    }

    [Fact]
    public async Task ErasureLeavesNothingOfTheClientAnywhere()
    {
        var tenant = await Factory.CreateTenantAsync();
        var known = await ArrangeClientAsync(tenant);
        Assert.True(await RowsOfAsync(tenant.Id, known) > 0);

        var erase = await tenant.Admin.PostAsync($"/api/v1/clients/{known.ClientId}/erase", null);

        Assert.Equal(HttpStatusCode.OK, erase.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.Admin.GetAsync($"/api/v1/clients/{known.ClientId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.Admin.GetAsync($"/api/v1/clients/{known.ClientId}/export")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.Admin.GetAsync($"/api/v1/chats/{known.ChatId}")).StatusCode);
        Assert.Empty(await tenant.Admin.AllClientsAsync("Zelda"));
        Assert.Empty(await tenant.Admin.AllClientsAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.Admin.GetAsync($"/api/v1/clients/lookup?type=phone&value={Uri.EscapeDataString(Phone)}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.Admin.GetAsync($"/api/v1/clients/lookup?type=email&value={Email}")).StatusCode);
        Assert.Empty(await tenant.Admin.WalkAsync("/api/v1/chats?limit=200"));
        Assert.Empty(await tenant.Admin.WalkAsync("/api/v1/messages/search?query=quince&limit=200"));
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.Admin.GetAsync($"/api/v1/attachments/{known.AttachmentId}")).StatusCode);
        Assert.Equal(0, await RowsOfAsync(tenant.Id, known));
    }

    [Fact]
    public async Task ErasureLeavesAnAuditRecordWithoutPersonalData()
    {
        var tenant = await Factory.CreateTenantAsync();
        var known = await ArrangeClientAsync(tenant);

        await tenant.Admin.PostAsync($"/api/v1/clients/{known.ClientId}/erase", null);

        var erased = await ScalarAsync<string>("select data::text from audit_events where tenant_id = @tenant and action = 'client.erased' and client_id = @client",
            ("tenant", tenant.Id), ("client", known.ClientId));
        Assert.NotNull(erased);
        var everything = await ScalarAsync<string>(
            "select string_agg(concat_ws(' ', action, actor_user_id, actor_key_id, subject_type, subject_id, client_id, data::text), E'\\n') from audit_events where tenant_id = @tenant",
            ("tenant", tenant.Id));
        foreach (var personal in new[] { "Zelda", "Quist", Phone, "4155550177", Email, "quince", "contract.pdf" })
            Assert.DoesNotContain(personal, everything!, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AnErasedContactValueCanBeClaimedByANewClient()
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = await tenant.Admin.CreateClientIdAsync("Zelda", Phone);
        await tenant.Admin.PostAsync($"/api/v1/clients/{id}/erase", null);

        var created = await tenant.Admin.PostAsJsonAsync("/api/v1/clients", new { firstName = "Nora", contacts = new[] { new { type = "phone", value = Phone } } });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var owner = await tenant.Admin.GetOkAsync($"/api/v1/clients/lookup?type=phone&value={Uri.EscapeDataString(Phone)}");
        Assert.Equal("Nora", owner.Str("firstName"));
    }

    [Fact]
    public async Task ErasingASoftDeletedClientErasesIt()
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = await tenant.Admin.CreateClientIdAsync("Zelda", Phone);
        await tenant.Admin.DeleteAsync($"/api/v1/clients/{id}");

        var erase = await tenant.Admin.PostAsync($"/api/v1/clients/{id}/erase", null);

        Assert.Equal(HttpStatusCode.OK, erase.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.Admin.GetAsync($"/api/v1/clients/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.Admin.PostAsync($"/api/v1/clients/{id}/restore", null)).StatusCode);
        Assert.Equal(0, await ScalarAsync<long>("select count(*) from clients where tenant_id = @tenant", ("tenant", tenant.Id)));
    }

    [Fact]
    public async Task ASecondErasureIsNotFound()
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = await tenant.Admin.CreateClientIdAsync("Zelda", Phone);
        await tenant.Admin.PostAsync($"/api/v1/clients/{id}/erase", null);

        var again = await tenant.Admin.PostAsync($"/api/v1/clients/{id}/erase", null);

        await again.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(1, await ScalarAsync<long>("select count(*) from audit_events where tenant_id = @tenant and action = 'client.erased'", ("tenant", tenant.Id)));
    }

    [Theory]
    [InlineData("sales")]
    [InlineData("agent")]
    [InlineData("lead")]
    public async Task OnlyAdminsErase(string role)
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = await tenant.Admin.CreateClientIdAsync("Zelda", Phone);
        var user = await Factory.CreateUserAsync(tenant, role);

        var erase = await user.Http.PostAsync($"/api/v1/clients/{id}/erase", null);

        Assert.Equal(HttpStatusCode.Forbidden, erase.StatusCode);
        Assert.Equal("Zelda", (await tenant.Admin.GetOkAsync($"/api/v1/clients/{id}")).Str("firstName"));
    }

    [Theory]
    [InlineData("sales", HttpStatusCode.Forbidden)]
    [InlineData("agent", HttpStatusCode.Forbidden)]
    [InlineData("lead", HttpStatusCode.OK)]
    public async Task LeadsAndAdminsExport(string role, HttpStatusCode expected)
    {
        var tenant = await Factory.CreateTenantAsync();
        var id = await tenant.Admin.CreateClientIdAsync("Zelda", Phone);
        var user = await Factory.CreateUserAsync(tenant, role);

        var export = await user.Http.GetAsync($"/api/v1/clients/{id}/export");

        Assert.Equal(expected, export.StatusCode);
    }

    [Fact]
    public async Task AnotherTenantCanNeitherExportNorErase()
    {
        var tenant = await Factory.CreateTenantAsync();
        var other = await Factory.CreateTenantAsync();
        var known = await ArrangeClientAsync(tenant);
        var before = await RowsOfAsync(tenant.Id, known);

        var export = await other.Admin.GetAsync($"/api/v1/clients/{known.ClientId}/export");
        var erase = await other.Admin.PostAsync($"/api/v1/clients/{known.ClientId}/erase", null);

        await export.AssertProblemAsync(HttpStatusCode.NotFound);
        await erase.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(before, await RowsOfAsync(tenant.Id, known));
        Assert.Equal("Zelda", (await tenant.Admin.GetOkAsync($"/api/v1/clients/{known.ClientId}")).Str("firstName"));
        Assert.Equal(3, (await tenant.Admin.GetOkAsync($"/api/v1/clients/{known.ClientId}/export")).GetProperty("messages").GetArrayLength());
    }

    private sealed record KnownClient(string ClientId, string ChatId, string AttachmentId);

    /// <summary>A client with two contacts, consent, and messages on sms, email (with a file) and a logged phone call.</summary>
    private static async Task<KnownClient> ArrangeClientAsync(Tenant tenant)
    {
        var clientId = (await tenant.Admin.CreateClientAsync(new
        {
            firstName = "Zelda",
            lastName = "Quist",
            contacts = new[] { new { type = "phone", value = Phone }, new { type = "email", value = Email } },
        })).Str("id");
        var consent = await tenant.Admin.PutAsJsonAsync($"/api/v1/clients/{clientId}/consent/email", new { optedIn = true });
        Assert.Equal(HttpStatusCode.OK, consent.StatusCode);
        var chatId = await tenant.Admin.ChatIdAsync(clientId);
        using var form = new MultipartFormDataContent { { new ByteArrayContent([37, 80, 68, 70]) { Headers = { ContentType = new("application/pdf") } }, "file", "contract.pdf" } };
        var attachmentId = (await (await tenant.Admin.PostAsync("/api/v1/attachments", form)).BodyAsync()).Str("id");
        Assert.Equal(HttpStatusCode.Accepted, (await tenant.Admin.SendAsync(chatId, new { text = "Your quince order shipped", transport = "sms" })).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await tenant.Admin.SendAsync(chatId, new { text = "The quince contract", transport = "email", attachments = new[] { attachmentId } })).StatusCode);
        var logged = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/log", new { transport = "phone", direction = "inbound", text = "Called about the quince delivery" });
        Assert.Equal(HttpStatusCode.Created, logged.StatusCode);
        return new KnownClient(clientId, chatId, attachmentId);
    }

    /// <summary>Rows anywhere in the database that belong to the client, its chat or its contact values.</summary>
    private Task<long> RowsOfAsync(string tenantId, KnownClient known) => ScalarAsync<long>("""
        select (select count(*) from messages where tenant_id = @tenant and (chat_id = @chat or client_id = @client))
             + (select count(*) from chats where tenant_id = @tenant and (chat_id = @chat or client_id = @client))
             + (select count(*) from chat_reads where tenant_id = @tenant and chat_id = @chat)
             + (select count(*) from clients where tenant_id = @tenant and client_id = @client)
             + (select count(*) from contacts where tenant_id = @tenant and (client_id = @client or value in (@phone, @email)))
             + (select count(*) from attachments where tenant_id = @tenant and id = @attachment)
             + (select count(*) from orleansstorage
                where grainidextensionstring = @key
                   or (grainidextensionstring like @tenant || '/%' and (grainidextensionstring like '%' || @phone or grainidextensionstring like '%' || @email)))
        """, ("tenant", tenantId), ("client", known.ClientId), ("chat", known.ChatId), ("attachment", known.AttachmentId),
        ("key", $"{tenantId}/{known.ClientId}"), ("phone", Phone), ("email", Email));

    private async Task<T?> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(Factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)Convert.ChangeType(result, typeof(T), CultureInfo.InvariantCulture);
    }
}
