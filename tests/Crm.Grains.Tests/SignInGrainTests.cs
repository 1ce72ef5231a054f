namespace Crm.Grains.Tests;

/// <summary>The tenant grain's side of people's sign-in: the email index, sessions and password changes.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SignInGrainTests(ClusterFixture fixture)
{
    private static string FreshEmail() => $"p{Guid.NewGuid():N}@example.com";

    private async Task<(ITenantGrain Tenant, string TenantId, string UserId, string Email)> PersonAsync()
    {
        var tenant = fixture.Grains.GetGrain<ITenantGrain>(Fresh.Tenant());
        var tenantId = (await tenant.CreateAsync("Acme")).Value!.Tenant.Id;
        var email = FreshEmail();
        var user = (await tenant.CreateUserAsync("Pat", Role.Agent, Actor.System(tenantId), email.ToUpperInvariant(), "hash-1")).Value!;
        return (tenant, tenantId, user.User.Id, email);
    }

    [Fact]
    public async Task AnEmailLeadsToItsUserUntilTheUserIsDeactivated()
    {
        var (tenant, tenantId, userId, email) = await PersonAsync();

        var found = await fixture.Grains.GetGrain<IUserEmailGrain>(email).FindAsync();
        await tenant.DeactivateUserAsync(userId, Actor.System(tenantId));
        var afterwards = await fixture.Grains.GetGrain<IUserEmailGrain>(email).FindAsync();

        Assert.Equal(new UserRef { TenantId = tenantId, UserId = userId }, found);
        Assert.Null(afterwards);
        Assert.Null(await tenant.GetPasswordHashAsync(userId));
    }

    [Fact]
    public async Task ASessionWorksUntilItEndsOrThePasswordChanges()
    {
        var (tenant, tenantId, userId, _) = await PersonAsync();
        var first = (await tenant.StartSessionAsync(userId)).Value!;
        var second = (await tenant.StartSessionAsync(userId)).Value!;

        await tenant.EndSessionAsync(userId, first.SessionId);
        var ended = Credentials.ForSession(await tenant.GetCredentialsAsync(userId), first.SessionId, ApiKeys.Hash(first.Secret));
        var other = Credentials.ForSession(await tenant.GetCredentialsAsync(userId), second.SessionId, ApiKeys.Hash(second.Secret));
        await tenant.SetPasswordAsync(userId, "hash-2", Actor.System(tenantId));
        var afterReset = Credentials.ForSession(await tenant.GetCredentialsAsync(userId), second.SessionId, ApiKeys.Hash(second.Secret));

        Assert.Null(ended);
        Assert.Equal((userId, Role.Agent, second.SessionId), (other!.UserId, other.Role, other.KeyId));
        Assert.Null(afterReset);
        Assert.Equal("hash-2", await tenant.GetPasswordHashAsync(userId));
    }

    [Fact]
    public async Task TheLastAdminKeepsTheAdminRole()
    {
        var tenant = fixture.Grains.GetGrain<ITenantGrain>(Fresh.Tenant());
        var created = (await tenant.CreateAsync("Acme")).Value!;

        var result = await tenant.UpdateUserAsync(created.Admin.User.Id, new UserChanges { Role = Role.Sales }, Actor.System(created.Tenant.Id));

        Assert.Equal(Outcome.Conflict, result.Outcome);
        Assert.Equal(Role.Admin, (await tenant.GetUserAsync(created.Admin.User.Id))!.Role);
    }
}
