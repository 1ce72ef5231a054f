using System.Net;

namespace Crm.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class AuditTests(ApiFixture fixture)
{
    private CrmApiFactory Factory => fixture.Factory;

    [Fact]
    public async Task LeadAndAdminSeeAClientsChangesAndMessagesNewestFirst()
    {
        var tenant = await Factory.CreateTenantAsync();
        var lead = await Factory.CreateUserAsync(tenant, "lead");
        var (clientId, messageId) = await ClientWithHistoryAsync(tenant);
        var other = await tenant.Admin.CreateClientIdAsync("Bob", phone: null);

        foreach (var http in new[] { tenant.Admin, lead.Http })
        {
            var items = await http.WalkAsync($"/api/v1/audit?clientId={clientId}&limit=200");

            Assert.All(items, i => Assert.Equal(clientId, i.Str("clientId")));
            Assert.Equal(["message.queued", "chat.created", "client.updated", "client.created"], items.Select(i => i.Str("action")).Where(a => a != "message.status"));
            Assert.Contains(items, i => i.Str("action") == "message.queued" && i.Str("subjectId") == messageId && i.Str("actorUserId") == tenant.AdminUserId);
            Assert.DoesNotContain(items, i => i.Str("subjectId") == other);
            var ids = items.Select(i => long.Parse(i.Str("id"), System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(ids.OrderDescending(), ids);
        }
    }

    [Fact]
    public async Task PagingWithTheCursorServesEveryEventOnce()
    {
        var tenant = await Factory.CreateTenantAsync();
        for (var i = 0; i < 7; i++)
            await tenant.Admin.CreateClientIdAsync($"Client{i}", phone: null);
        var all = (await tenant.Admin.GetOkAsync("/api/v1/audit?limit=200")).Items().IdsOf();

        var paged = (await tenant.Admin.WalkAsync("/api/v1/audit?limit=3")).IdsOf();

        Assert.True(all.Count >= 8, $"only {all.Count} events");
        Assert.Equal(all, paged);
    }

    [Fact]
    public async Task FromAndToSelectEventsByTime()
    {
        var tenant = await Factory.CreateTenantAsync();
        await tenant.Admin.CreateClientIdAsync("Early", phone: null);
        var middle = DateTimeOffset.UtcNow;
        await Task.Delay(50);
        var late = await tenant.Admin.CreateClientIdAsync("Late", phone: null);
        var stamp = Uri.EscapeDataString(middle.ToString("O", System.Globalization.CultureInfo.InvariantCulture));

        var after = (await tenant.Admin.GetOkAsync($"/api/v1/audit?from={stamp}")).Items();
        var before = (await tenant.Admin.GetOkAsync($"/api/v1/audit?to={stamp}")).Items();

        Assert.Equal([late], after.Select(i => i.Str("subjectId")));
        Assert.Equal(["client.created", "tenant.created"], before.Select(i => i.Str("action")));
        Assert.All(after, i => Assert.True(i.GetProperty("at").GetDateTimeOffset() >= middle));
    }

    [Theory]
    [InlineData("agent")]
    [InlineData("sales")]
    public async Task AgentsAndSalesMayNotReadTheTrail(string role)
    {
        var tenant = await Factory.CreateTenantAsync();
        var user = await Factory.CreateUserAsync(tenant, role);

        var response = await user.Http.GetAsync("/api/v1/audit");

        await response.AssertProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AnotherTenantsEventsNeverAppear()
    {
        var a = await Factory.CreateTenantAsync("A");
        var b = await Factory.CreateTenantAsync("B");
        var (clientOfA, _) = await ClientWithHistoryAsync(a);

        var byClient = await b.Admin.WalkAsync($"/api/v1/audit?clientId={clientOfA}");
        var all = await b.Admin.WalkAsync("/api/v1/audit?limit=200");

        Assert.Empty(byClient);
        Assert.Equal([b.Id], all.Select(i => i.Str("subjectId")));
        Assert.NotEmpty(await a.Admin.WalkAsync($"/api/v1/audit?clientId={clientOfA}"));
    }

    [Theory]
    [InlineData("from=yesterday", "from")]
    [InlineData("to=2026-13-45", "to")]
    [InlineData("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to")]
    [InlineData("cursor=abc", "cursor")]
    [InlineData("limit=0", "limit")]
    public async Task BadParametersAreRejectedNamingTheField(string query, string field)
    {
        var tenant = await Factory.CreateTenantAsync();

        var response = await tenant.Admin.GetAsync($"/api/v1/audit?{query}");

        await response.AssertInvalidAsync(field);
    }

    private static async Task<(string ClientId, string MessageId)> ClientWithHistoryAsync(Tenant tenant)
    {
        var clientId = await tenant.Admin.CreateClientIdAsync();
        var patched = await tenant.Admin.PatchJsonAsync($"/api/v1/clients/{clientId}", """{"lastName":"Lee"}""");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var chatId = await tenant.Admin.ChatIdAsync(clientId);
        var message = await tenant.Admin.SendOkAsync(chatId, "Hello");
        return (clientId, message.Str("id"));
    }
}
