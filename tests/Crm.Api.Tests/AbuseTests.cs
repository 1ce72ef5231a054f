using System.Net;
using System.Text;

namespace Crm.Api.Tests;

/// <summary>Input meant to hurt: each is answered with a 4xx ProblemDetails (or an honest empty result) and changes nothing.</summary>
[Collection(ApiCollection.Name)]
public sealed class AbuseTests(ApiFixture fixture)
{
    private CrmApiFactory Factory => fixture.Factory;

    [Fact]
    public async Task AnOversizeBodyIs413AndStoresNothing()
    {
        var tenant = await Factory.CreateTenantAsync();
        var body = "{\"firstName\":\"" + new string('a', 2 * 1024 * 1024) + "\"}";

        var response = await tenant.Admin.PostAsync("/api/v1/clients", new StringContent(body, Encoding.UTF8, "application/json"));

        await response.AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Empty(await tenant.Admin.AllClientsAsync());
    }

    [Theory]
    [InlineData("'; drop table clients; --")]
    [InlineData("\" or 1=1 --")]
    [InlineData("%' or '1'='1")]
    [InlineData("<script>alert(1)</script>")]
    public async Task InjectionStringsInSearchFindNothingAndBreakNothing(string query)
    {
        var tenant = await Factory.CreateTenantAsync();
        await tenant.Admin.CreateClientIdAsync("Victor");
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync("Wanda", phone: "+14155550171"));
        await tenant.Admin.SendOkAsync(chatId, "ordinary words");

        var clients = await tenant.Admin.GetOkAsync($"/api/v1/clients?query={Uri.EscapeDataString(query)}");
        var messages = await tenant.Admin.GetOkAsync($"/api/v1/messages/search?query={Uri.EscapeDataString(query)}");

        Assert.Empty(clients.Items());
        Assert.Empty(messages.Items());
        Assert.Equal(2, (await tenant.Admin.AllClientsAsync()).Count);
    }

    [Fact]
    public async Task AnErrorBodyNeverCarriesAStackTraceOrSql()
    {
        var tenant = await Factory.CreateTenantAsync();

        var responses = new[]
        {
            await tenant.Admin.PostAsync("/api/v1/clients", new StringContent("{\"firstName\":", Encoding.UTF8, "application/json")),
            await tenant.Admin.GetAsync("/api/v1/chats?limit=ten"),
            await tenant.Admin.GetAsync("/api/v1/clients/cl_none"),
        };

        foreach (var response in responses)
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
            Assert.DoesNotContain("select ", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);
        }
    }
}
