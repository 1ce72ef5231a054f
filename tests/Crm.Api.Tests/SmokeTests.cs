using System.Net;
using System.Net.Http.Json;

namespace Crm.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class SmokeTests(ApiFixture fixture)
{
    [Fact]
    public async Task NewTenantCanCreateAndReadAClient()
    {
        var tenant = await fixture.Factory.CreateTenantAsync();

        var created = await tenant.Admin.PostAsJsonAsync("/api/v1/clients", new { firstName = "Ann" });
        var read = await tenant.Admin.GetAsync(created.Headers.Location);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("Ann", (await read.BodyAsync()).Str("firstName"));
    }
}
