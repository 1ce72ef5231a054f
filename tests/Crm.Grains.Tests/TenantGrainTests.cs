namespace Crm.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class TenantGrainTests(ClusterFixture fixture)
{
    private static bool Authenticates(string key, out string tenantId, out string userId, out string secret) =>
        ApiKeys.TryParse(key, out tenantId, out userId, out secret);

    [Fact]
    public async Task TheIssuedKeyAuthenticatesTheUserWithItsRoleAndOnlyItsHashIsStored()
    {
        var tenant = fixture.Grains.GetGrain<ITenantGrain>(Fresh.Tenant());
        var created = (await tenant.CreateAsync("Acme")).Value!;
        var sales = (await tenant.CreateUserAsync("Sam", Role.Sales, Actor.System(created.Tenant.Id))).Value!;

        Assert.True(Authenticates(sales.ApiKey, out var tenantId, out var userId, out var secret));
        var actor = Credentials.ForKey(await tenant.GetCredentialsAsync(userId), ApiKeys.Hash(secret));
        var wrong = Credentials.ForKey(await tenant.GetCredentialsAsync(userId), ApiKeys.Hash(secret + "x"));

        Assert.Equal((created.Tenant.Id, sales.User.Id, Role.Sales), (actor!.TenantId, actor.UserId, actor.Role));
        Assert.Null(wrong);
        Assert.Equal(0, await fixture.CountAsync("select count(*) from orleansstorage where convert_from(payloadbinary, 'UTF8') like '%' || $1 || '%'", secret));
    }

    [Fact]
    public async Task ADeactivatedUsersKeyStopsWorkingAtOnceAndAfterDeactivation()
    {
        var tenant = fixture.Grains.GetGrain<ITenantGrain>(Fresh.Tenant());
        var created = (await tenant.CreateAsync("Acme")).Value!;
        var agent = (await tenant.CreateUserAsync("Ada", Role.Agent, Actor.System(created.Tenant.Id))).Value!;
        Authenticates(agent.ApiKey, out _, out var userId, out var secret);

        await tenant.DeactivateUserAsync(userId, Actor.System(created.Tenant.Id));
        var now = Credentials.ForKey(await tenant.GetCredentialsAsync(userId), ApiKeys.Hash(secret));
        await fixture.Cluster.DeactivateAsync(tenant);
        var later = Credentials.ForKey(await tenant.GetCredentialsAsync(userId), ApiKeys.Hash(secret));

        Assert.Null(now);
        Assert.Null(later);
        Assert.False((await tenant.GetUserAsync(userId))!.Active);
    }

    [Fact]
    public async Task TheLastActiveAdminCannotBeDeactivated()
    {
        var tenant = fixture.Grains.GetGrain<ITenantGrain>(Fresh.Tenant());
        var created = (await tenant.CreateAsync("Acme")).Value!;

        var result = await tenant.DeactivateUserAsync(created.Admin.User.Id, Actor.System(created.Tenant.Id));

        Assert.Equal(Outcome.Conflict, result.Outcome);
    }

    [Fact]
    public async Task ATenantIsCreatedOnce()
    {
        var tenant = fixture.Grains.GetGrain<ITenantGrain>(Fresh.Tenant());

        await tenant.CreateAsync("Acme");
        var again = await tenant.CreateAsync("Acme again");

        Assert.Equal(Outcome.Conflict, again.Outcome);
        Assert.Equal("Acme", (await tenant.GetAsync())!.Name);
    }
}

[Collection(ClusterCollection.Name)]
public sealed class TemplatesGrainTests(ClusterFixture fixture)
{
    [Fact]
    public async Task TemplatesAreCreatedReplacedAndDeletedPerTenant()
    {
        var tenant = Fresh.Tenant();
        var templates = fixture.Grains.GetGrain<ITemplatesGrain>(tenant);
        var others = fixture.Grains.GetGrain<ITemplatesGrain>(Fresh.Tenant());
        var admin = Fresh.Agent(tenant);

        var created = (await templates.CreateAsync("hello", "Hello there", admin)).Value!;
        var replaced = (await templates.ReplaceAsync(created.Id, "hello", "Hi there", admin)).Value!;
        await fixture.Cluster.DeactivateAsync(templates);
        var read = await templates.GetAsync(created.Id);
        var fromOtherTenant = await others.GetAsync(created.Id);
        await templates.DeleteAsync(created.Id, admin);

        Assert.Equal(("Hi there", created.CreatedAt), (read!.Text, read.CreatedAt));
        Assert.True(replaced.UpdatedAt >= created.UpdatedAt);
        Assert.Null(fromOtherTenant);
        Assert.Null(await templates.GetAsync(created.Id));
    }

    [Fact]
    public async Task ATemplateNeedsANameAndText()
    {
        var templates = fixture.Grains.GetGrain<ITemplatesGrain>(Fresh.Tenant());

        var result = await templates.CreateAsync(" ", null, Fresh.Agent("t"));

        Assert.Equal(["name", "text"], result.Errors!.Keys.Order());
        Assert.Empty((await templates.ListAsync(10, null)).Items);
    }
}
