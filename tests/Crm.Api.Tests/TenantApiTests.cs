using System.Net;
using System.Net.Http.Json;

namespace Crm.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class TenantApiTests(ApiFixture fixture)
{
    private CrmApiFactory Factory => fixture.Factory;

    [Fact]
    public async Task SystemKeyCreatesATenantWhoseAdminKeyWorks()
    {
        using var system = Factory.ClientWithKey(CrmApiFactory.SystemKey);

        var response = await system.PostAsJsonAsync("/api/v1/tenants", new { name = "Globex" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.BodyAsync();
        Assert.NotNull(response.Headers.Location);
        using var admin = Factory.ClientWithKey(body.Str("apiKey"));
        var me = await admin.GetOkAsync("/api/v1/me");
        Assert.Equal(body.Str("tenantId"), me.Str("tenantId"));
        Assert.Equal(body.Str("adminUserId"), me.Str("userId"));
        Assert.Equal("admin", me.Str("role"));
    }

    [Fact]
    public async Task CreatingATenantWithoutANameIsRejected()
    {
        using var system = Factory.ClientWithKey(CrmApiFactory.SystemKey);

        var response = await system.PostAsJsonAsync("/api/v1/tenants", new { name = " " });

        await response.AssertInvalidAsync("name");
    }

    [Fact]
    public async Task TenantsGetSeparateAdmins()
    {
        var a = await Factory.CreateTenantAsync();
        var b = await Factory.CreateTenantAsync();

        var meA = await a.Admin.GetOkAsync("/api/v1/me");
        var meB = await b.Admin.GetOkAsync("/api/v1/me");

        Assert.NotEqual(a.Id, b.Id);
        Assert.Equal(a.Id, meA.Str("tenantId"));
        Assert.Equal(b.Id, meB.Str("tenantId"));
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("lead")]
    [InlineData("agent")]
    [InlineData("sales")]
    public async Task AdminCreatesAUserWithEachRoleWhoseKeyCarriesTheRole(string role)
    {
        var tenant = await Factory.CreateTenantAsync();

        var response = await tenant.Admin.PostAsJsonAsync("/api/v1/users", new { name = "Sam", role });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.BodyAsync();
        Assert.Equal($"/api/v1/users/{body.Str("id")}", response.Headers.Location?.OriginalString);
        using var user = Factory.ClientWithKey(body.Str("apiKey"));
        var me = await user.GetOkAsync("/api/v1/me");
        Assert.Equal(tenant.Id, me.Str("tenantId"));
        Assert.Equal(body.Str("id"), me.Str("userId"));
        Assert.Equal(role, me.Str("role"));
    }

    [Fact]
    public async Task CreatingAUserWithAnUnknownRoleIsRejectedAndCreatesNobody()
    {
        var tenant = await Factory.CreateTenantAsync();

        var response = await tenant.Admin.PostAsJsonAsync("/api/v1/users", new { name = "Sam", role = "owner" });

        await response.AssertInvalidAsync("role");
        var users = await tenant.Admin.WalkAsync("/api/v1/users?limit=200");
        Assert.Equal([tenant.AdminUserId], users.IdsOf());
    }

    [Fact]
    public async Task UserListShowsTheTenantsUsersOnly()
    {
        var tenant = await Factory.CreateTenantAsync();
        var other = await Factory.CreateTenantAsync();
        var agent = await Factory.CreateUserAsync(tenant, "agent", "Agnes");
        var sales = await Factory.CreateUserAsync(tenant, "sales", "Sal");
        await Factory.CreateUserAsync(other, "agent");

        var users = await tenant.Admin.WalkAsync("/api/v1/users?limit=200");

        Assert.Equal(new[] { tenant.AdminUserId, agent.Id, sales.Id }.Order(), users.IdsOf().Order());
        var agnes = users.Single(u => u.Str("id") == agent.Id);
        Assert.Equal("Agnes", agnes.Str("name"));
        Assert.Equal("agent", agnes.Str("role"));
        Assert.True(agnes.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task UserListPagesWithCursorWithoutDuplicatesOrGaps()
    {
        var tenant = await Factory.CreateTenantAsync();
        var created = new List<string> { tenant.AdminUserId };
        for (var i = 0; i < 4; i++)
            created.Add((await Factory.CreateUserAsync(tenant, "agent", $"Agent {i}")).Id);

        var first = await tenant.Admin.GetOkAsync("/api/v1/users?limit=2");
        var all = await tenant.Admin.WalkAsync("/api/v1/users?limit=2");

        Assert.Equal(2, first.Items().Count);
        Assert.Equal(created.Order(), all.IdsOf().Order());
        Assert.Equal(all.Count, all.IdsOf().Distinct().Count());
    }

    [Fact]
    public async Task DeactivatedUsersKeyIsRefusedAtOnce()
    {
        var tenant = await Factory.CreateTenantAsync();
        var agent = await Factory.CreateUserAsync(tenant, "agent");
        await agent.Http.GetOkAsync("/api/v1/me");

        var response = await tenant.Admin.DeleteAsync($"/api/v1/users/{agent.Id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False((await response.BodyAsync()).GetProperty("active").GetBoolean());
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.Http.GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.Http.GetAsync("/api/v1/clients")).StatusCode);
        var listed = (await tenant.Admin.WalkAsync("/api/v1/users?limit=200")).Single(u => u.Str("id") == agent.Id);
        Assert.False(listed.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task TheLastAdminCannotBeDeactivated()
    {
        var tenant = await Factory.CreateTenantAsync();

        var response = await tenant.Admin.DeleteAsync($"/api/v1/users/{tenant.AdminUserId}");

        await response.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("admin", (await tenant.Admin.GetOkAsync("/api/v1/me")).Str("role"));
    }

    [Fact]
    public async Task AnAdminCanBeDeactivatedWhileAnotherAdminRemains()
    {
        var tenant = await Factory.CreateTenantAsync();
        var second = await Factory.CreateUserAsync(tenant, "admin");

        var first = await second.Http.DeleteAsync($"/api/v1/users/{tenant.AdminUserId}");
        var last = await second.Http.DeleteAsync($"/api/v1/users/{second.Id}");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await tenant.Admin.GetAsync("/api/v1/me")).StatusCode);
        await last.AssertProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.OK, (await second.Http.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task DeactivatingAnUnknownUserIs404()
    {
        var tenant = await Factory.CreateTenantAsync();
        var other = await Factory.CreateTenantAsync();
        var stranger = await Factory.CreateUserAsync(other, "agent");

        var response = await tenant.Admin.DeleteAsync($"/api/v1/users/{stranger.Id}");

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, (await stranger.Http.GetAsync("/api/v1/me")).StatusCode);
    }
}
