using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Crm.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class TemplateApiTests(ApiFixture fixture)
{
    private CrmApiFactory Factory => fixture.Factory;

    [Fact]
    public async Task ACreatedTemplateCanBeRead()
    {
        var tenant = await Factory.CreateTenantAsync();

        var response = await tenant.Admin.PostAsJsonAsync("/api/v1/templates", new { name = "Welcome", text = "Welcome to Acme!" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.BodyAsync();
        Assert.Equal($"/api/v1/templates/{created.Str("id")}", response.Headers.Location?.OriginalString);
        var read = await tenant.Admin.GetOkAsync(response.Headers.Location!.OriginalString);
        Assert.Equal("Welcome", read.Str("name"));
        Assert.Equal("Welcome to Acme!", read.Str("text"));
        Assert.Equal(created.GetRawText(), read.GetRawText());
    }

    [Fact]
    public async Task ReplacingChangesNameAndTextAndKeepsCreatedAt()
    {
        var tenant = await Factory.CreateTenantAsync();
        var created = await (await tenant.Admin.PostAsJsonAsync("/api/v1/templates", new { name = "Welcome", text = "Hi" })).BodyAsync();
        var url = $"/api/v1/templates/{created.Str("id")}";

        var response = await tenant.Admin.PutAsJsonAsync(url, new { name = "Greeting", text = "Hello there" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var read = await tenant.Admin.GetOkAsync(url);
        Assert.Equal("Greeting", read.Str("name"));
        Assert.Equal("Hello there", read.Str("text"));
        Assert.Equal(created.Str("createdAt"), read.Str("createdAt"));
        Assert.True(read.GetProperty("updatedAt").GetDateTimeOffset() > created.GetProperty("updatedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task ReplacingWithoutTextIsRejectedAndChangesNothing()
    {
        var tenant = await Factory.CreateTenantAsync();
        var url = (await tenant.Admin.PostAsJsonAsync("/api/v1/templates", new { name = "Welcome", text = "Hi" })).Headers.Location!.OriginalString;
        var before = await tenant.Admin.RawAsync(url);

        var response = await tenant.Admin.PutAsJsonAsync(url, new { name = "Greeting" });

        await response.AssertInvalidAsync("text");
        Assert.Equal(before, await tenant.Admin.RawAsync(url));
    }

    [Fact]
    public async Task ADeletedTemplateIsGone()
    {
        var tenant = await Factory.CreateTenantAsync();
        var url = (await tenant.Admin.PostAsJsonAsync("/api/v1/templates", new { name = "Welcome", text = "Hi" })).Headers.Location!.OriginalString;

        var response = await tenant.Admin.DeleteAsync(url);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await (await tenant.Admin.GetAsync(url)).AssertProblemAsync(HttpStatusCode.NotFound);
        await (await tenant.Admin.DeleteAsync(url)).AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty(await tenant.Admin.WalkAsync("/api/v1/templates?limit=200"));
    }

    [Fact]
    public async Task ReplacingAnUnknownTemplateIs404AndCreatesNothing()
    {
        var tenant = await Factory.CreateTenantAsync();

        var response = await tenant.Admin.PutAsJsonAsync("/api/v1/templates/tp_nothere", new { name = "Greeting", text = "Hello" });

        await response.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty(await tenant.Admin.WalkAsync("/api/v1/templates?limit=200"));
    }

    [Theory]
    [InlineData(null, "Hi", "name")]
    [InlineData("Welcome", null, "text")]
    [InlineData("Welcome", "  ", "text")]
    public async Task CreatingWithoutNameOrTextIsRejectedAndStoresNothing(string? name, string? text, string field)
    {
        var tenant = await Factory.CreateTenantAsync();

        var response = await tenant.Admin.PostAsJsonAsync("/api/v1/templates", new { name, text });

        await response.AssertInvalidAsync(field);
        Assert.Empty(await tenant.Admin.WalkAsync("/api/v1/templates?limit=200"));
    }

    [Fact]
    public async Task TemplateListPagesWithCursorWithoutDuplicatesOrGaps()
    {
        var tenant = await Factory.CreateTenantAsync();
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
            created.Add((await (await tenant.Admin.PostAsJsonAsync("/api/v1/templates", new { name = $"T{i}", text = $"Text {i}" })).BodyAsync()).Str("id"));

        var first = await tenant.Admin.GetOkAsync("/api/v1/templates?limit=2");
        var all = await tenant.Admin.WalkAsync("/api/v1/templates?limit=2");

        Assert.Equal(2, first.Items().Count);
        Assert.NotEqual(JsonValueKind.Null, first.GetProperty("nextCursor").ValueKind);
        Assert.Equal(created.Order(StringComparer.Ordinal), all.IdsOf().Order(StringComparer.Ordinal));
        Assert.Equal(5, all.Count);
    }

    [Fact]
    public async Task AgentsReadTemplatesButOnlyAdminsManageThem()
    {
        var tenant = await Factory.CreateTenantAsync();
        var agent = await Factory.CreateUserAsync(tenant, "agent");
        var url = (await tenant.Admin.PostAsJsonAsync("/api/v1/templates", new { name = "Welcome", text = "Hi" })).Headers.Location!.OriginalString;
        var before = await tenant.Admin.RawAsync(url);

        var read = await agent.Http.GetAsync(url);
        var list = await agent.Http.GetAsync("/api/v1/templates");
        var create = await agent.Http.PostAsJsonAsync("/api/v1/templates", new { name = "Mine", text = "Hey" });
        var replace = await agent.Http.PutAsJsonAsync(url, new { name = "Changed", text = "Changed" });
        var delete = await agent.Http.DeleteAsync(url);

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, replace.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.Equal(before, await tenant.Admin.RawAsync(url));
        Assert.Single(await tenant.Admin.WalkAsync("/api/v1/templates?limit=200"));
    }

    [Fact]
    public async Task AnotherTenantsTemplateIs404AndUnchanged()
    {
        var tenant = await Factory.CreateTenantAsync();
        var other = await Factory.CreateTenantAsync();
        var url = (await tenant.Admin.PostAsJsonAsync("/api/v1/templates", new { name = "Welcome", text = "Hi" })).Headers.Location!.OriginalString;
        var before = await tenant.Admin.RawAsync(url);

        var read = await other.Admin.GetAsync(url);
        var replace = await other.Admin.PutAsJsonAsync(url, new { name = "Stolen", text = "Stolen" });
        var delete = await other.Admin.DeleteAsync(url);

        await read.AssertProblemAsync(HttpStatusCode.NotFound);
        await replace.AssertProblemAsync(HttpStatusCode.NotFound);
        await delete.AssertProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(before, await tenant.Admin.RawAsync(url));
        Assert.Empty(await other.Admin.WalkAsync("/api/v1/templates?limit=200"));
    }
}
