using System.Net;

namespace Crm.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class KeyRotationTests(ApiFixture fixture)
{
    [Fact]
    public async Task ARotatedKeyStopsWorkingAtOnceAndTheNewOneWorks()
    {
        var tenant = await fixture.Factory.CreateTenantAsync();
        var agent = await fixture.Factory.CreateUserAsync(tenant, "agent");

        var rotated = await tenant.Admin.PostAsync($"/api/v1/users/{agent.Id}/keys", null);
        var newKey = (await rotated.BodyAsync()).Str("apiKey");

        Assert.Equal(HttpStatusCode.Created, rotated.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.Http.GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Factory.ClientWithKey(newKey).GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task AnotherTenantsUserKeyCannotBeRotated()
    {
        var a = await fixture.Factory.CreateTenantAsync();
        var b = await fixture.Factory.CreateTenantAsync();
        var agent = await fixture.Factory.CreateUserAsync(a, "agent");

        var response = await b.Admin.PostAsync($"/api/v1/users/{agent.Id}/keys", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await agent.Http.GetAsync("/api/v1/me")).StatusCode);
    }
}
