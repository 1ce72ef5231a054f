using System.Net;
using System.Net.Http.Json;
using Npgsql;

namespace Crm.Api.Tests;

/// <summary>
/// Old rows are made by moving <c>created_at</c> back in SQL. Messages refuse that update (their content is immutable),
/// so the test's own session sets <c>session_replication_role = replica</c>, which skips triggers for that session only:
/// no DDL, nothing another test or the API could notice.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class RetentionTests(ApiFixture fixture)
{
    private CrmApiFactory Factory => fixture.Factory;

    [Fact]
    public async Task MessagesOlderThanThePolicyDisappearAndNewerOnesStay()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        var old = await tenant.Admin.SendOkAsync(chatId, "Old news");
        var fresh = await tenant.Admin.SendOkAsync(chatId, "Fresh news");
        await AgeMessageAsync(tenant.Id, old.Str("id"), days: 31);
        await SetPolicyOkAsync(tenant, new { messageDays = 30 });

        var run = await RunOkAsync(tenant);

        Assert.Equal(1, run.GetProperty("messagesDeleted").GetInt64());
        Assert.Equal([fresh.Str("id")], (await tenant.Admin.MessagesAsync(chatId)).IdsOf());
        Assert.Equal(HttpStatusCode.OK, (await tenant.Admin.GetAsync($"/api/v1/chats/{chatId}")).StatusCode);
    }

    [Fact]
    public async Task AChatWhoseLastMessageExpiredNoLongerShowsItsTextInThePreview()
    {
        var tenant = await Factory.CreateTenantAsync();
        var agent = await Factory.CreateUserAsync(tenant, "agent");
        var quiet = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync("Ann", "+14155550101"));
        var busy = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync("Bob", "+14155550102"));
        var old = await tenant.Admin.SendOkAsync(quiet, "The quince secret");
        await tenant.Admin.SendOkAsync(busy, "Fresh news");
        await AgeMessageAsync(tenant.Id, old.Str("id"), days: 31);
        await ExecuteAsync("update chats set last_message_at = now() - interval '31 days' where tenant_id = @tenant and chat_id = @id", tenant.Id, quiet);
        await SetPolicyOkAsync(tenant, new { messageDays = 30 });

        await RunOkAsync(tenant);
        var listed = await tenant.Admin.WalkAsync("/api/v1/chats?limit=200");
        var opened = await tenant.Admin.GetOkAsync($"/api/v1/chats/{quiet}");
        // The chat writes its row again when it changes: what it holds must not bring the text back.
        var added = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{quiet}/members", new { kind = "user", userId = agent.Id });
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        var listedAfterChange = await tenant.Admin.RawAsync("/api/v1/chats?limit=200");

        Assert.Equal(System.Text.Json.JsonValueKind.Null, Assert.Single(listed, c => c.Str("id") == quiet).GetProperty("lastMessage").ValueKind);
        Assert.Equal("Fresh news", Assert.Single(listed, c => c.Str("id") == busy).GetProperty("lastMessage").Str("text"));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, opened.GetProperty("lastMessage").ValueKind);
        Assert.DoesNotContain("quince", listedAfterChange, StringComparison.Ordinal);
        Assert.Contains("Fresh news", listedAfterChange, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheAuditTrailKeepsTheFactAndCountsOfTheDeletion()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        foreach (var text in new[] { "Secret one", "Secret two" })
            await AgeMessageAsync(tenant.Id, (await tenant.Admin.SendOkAsync(chatId, text)).Str("id"), days: 10);
        await SetPolicyOkAsync(tenant, new { messageDays = 5 });

        await RunOkAsync(tenant);

        var entry = Assert.Single(await tenant.Admin.WalkAsync("/api/v1/audit?limit=200"), i => i.Str("action") == "retention.deleted");
        Assert.Equal(2, entry.GetProperty("data").GetProperty("messages").GetInt64());
        Assert.Equal(0, entry.GetProperty("data").GetProperty("attachments").GetInt64());
        Assert.Equal(tenant.AdminUserId, entry.Str("actorUserId"));
        Assert.DoesNotContain("Secret", entry.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AttachmentsOlderThanTheirPolicyAreDeleted()
    {
        var tenant = await Factory.CreateTenantAsync();
        var old = await UploadAsync(tenant);
        var fresh = await UploadAsync(tenant);
        await ExecuteAsync("update attachments set created_at = now() - interval '8 days' where tenant_id = @tenant and id = @id", tenant.Id, old);
        await SetPolicyOkAsync(tenant, new { attachmentDays = 7 });

        var run = await RunOkAsync(tenant);

        Assert.Equal(1, run.GetProperty("attachmentsDeleted").GetInt64());
        await (await tenant.Admin.GetAsync($"/api/v1/attachments/{old}")).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await tenant.Admin.GetAsync($"/api/v1/attachments/{fresh}")).StatusCode);
    }

    [Fact]
    public async Task AnotherTenantsMessagesAreUntouchedByThePolicy()
    {
        var a = await Factory.CreateTenantAsync("A");
        var b = await Factory.CreateTenantAsync("B");
        var chatOfB = await b.Admin.ChatIdAsync(await b.Admin.CreateClientIdAsync());
        var messageOfB = await b.Admin.SendOkAsync(chatOfB, "Old but kept");
        await AgeMessageAsync(b.Id, messageOfB.Str("id"), days: 100);
        await SetPolicyOkAsync(a, new { messageDays = 1 });

        var run = await RunOkAsync(a);

        Assert.Equal(0, run.GetProperty("messagesDeleted").GetInt64());
        Assert.Equal([messageOfB.Str("id")], (await b.Admin.MessagesAsync(chatOfB)).IdsOf());
    }

    [Fact]
    public async Task ThePolicyCanBeReadBackAndCleared()
    {
        var tenant = await Factory.CreateTenantAsync();

        await SetPolicyOkAsync(tenant, new { messageDays = 90, attachmentDays = 30 });
        var set = await tenant.Admin.GetOkAsync("/api/v1/tenants/current/retention");
        await SetPolicyOkAsync(tenant, new { });
        var cleared = await tenant.Admin.GetOkAsync("/api/v1/tenants/current/retention");

        Assert.Equal((90, 30), (set.GetProperty("messageDays").GetInt32(), set.GetProperty("attachmentDays").GetInt32()));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, cleared.GetProperty("messageDays").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, cleared.GetProperty("attachmentDays").ValueKind);
    }

    [Fact]
    public async Task SettingAPolicyRegistersTheReminderAndClearingItRemovesIt()
    {
        var tenant = await Factory.CreateTenantAsync();

        await SetPolicyOkAsync(tenant, new { messageDays = 30 });
        var whileSet = await RemindersAsync(tenant.Id);
        await SetPolicyOkAsync(tenant, new { messageDays = (int?)null });
        var afterClear = await RemindersAsync(tenant.Id);

        Assert.Equal(1, whileSet);
        Assert.Equal(0, afterClear);
    }

    [Theory]
    [InlineData("lead")]
    [InlineData("agent")]
    [InlineData("sales")]
    public async Task OnlyAdminsManageRetention(string role)
    {
        var tenant = await Factory.CreateTenantAsync();
        var user = await Factory.CreateUserAsync(tenant, role);

        var put = await user.Http.PutAsJsonAsync("/api/v1/tenants/current/retention", new { messageDays = 1 });
        var get = await user.Http.GetAsync("/api/v1/tenants/current/retention");
        var run = await user.Http.PostAsync("/api/v1/tenants/current/retention/run", null);

        await put.AssertProblemAsync(HttpStatusCode.Forbidden);
        await get.AssertProblemAsync(HttpStatusCode.Forbidden);
        await run.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await tenant.Admin.GetOkAsync("/api/v1/tenants/current/retention")).GetProperty("messageDays").ValueKind);
    }

    [Theory]
    [InlineData("""{"messageDays":0}""", "messageDays")]
    [InlineData("""{"messageDays":3651}""", "messageDays")]
    [InlineData("""{"attachmentDays":-1}""", "attachmentDays")]
    public async Task DaysOutOfRangeAreRejectedNamingTheField(string json, string field)
    {
        var tenant = await Factory.CreateTenantAsync();

        var response = await tenant.Admin.PutAsync("/api/v1/tenants/current/retention",
            new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        await response.AssertInvalidAsync(field);
        Assert.Equal(0, await RemindersAsync(tenant.Id));
    }

    private static async Task SetPolicyOkAsync(Tenant tenant, object policy)
    {
        var response = await tenant.Admin.PutAsJsonAsync("/api/v1/tenants/current/retention", policy);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<System.Text.Json.JsonElement> RunOkAsync(Tenant tenant)
    {
        var response = await tenant.Admin.PostAsync("/api/v1/tenants/current/retention/run", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.BodyAsync();
    }

    private static async Task<string> UploadAsync(Tenant tenant)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent([37, 80, 68, 70]) { Headers = { ContentType = new("application/pdf") } }, "file", "a.pdf" } };
        var response = await tenant.Admin.PostAsync("/api/v1/attachments", form);
        Assert.True(response.IsSuccessStatusCode, response.StatusCode.ToString());
        return (await response.BodyAsync()).Str("id");
    }

    private Task AgeMessageAsync(string tenantId, string messageId, int days) =>
        ExecuteAsync($"set session_replication_role = replica; update messages set created_at = now() - interval '{days} days' where tenant_id = @tenant and id = @id", tenantId, messageId);

    private async Task ExecuteAsync(string sql, string tenantId, string id)
    {
        await using var connection = new NpgsqlConnection(Factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("tenant", tenantId);
        command.Parameters.AddWithValue("id", id);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    private async Task<long> RemindersAsync(string tenantId)
    {
        await using var connection = new NpgsqlConnection(Factory.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select count(*) from orleansreminderstable where grainid = @grain and remindername = 'retention'", connection);
        command.Parameters.AddWithValue("grain", $"retention/{tenantId}");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
