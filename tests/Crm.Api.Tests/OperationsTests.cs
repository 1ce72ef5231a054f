using System.Net;
using System.Text.Json;

namespace Crm.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class OperationsTests(ApiFixture fixture)
{
    private CrmApiFactory Factory => fixture.Factory;

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task HealthEndpointsAnswer200WithoutAKey(string url)
    {
        using var anonymous = Factory.ClientWithKey(null);

        var response = await anonymous.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheOpenApiDocumentListsTheClientEndpoints()
    {
        using var anonymous = Factory.ClientWithKey(null);

        var response = await anonymous.GetAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var paths = (await response.BodyAsync()).GetProperty("paths");
        Assert.Equal(JsonValueKind.Object, paths.GetProperty("/api/v1/clients").ValueKind);
        Assert.True(paths.TryGetProperty("/api/v1/chats/{chatId}/messages", out _));
        Assert.True(paths.TryGetProperty("/api/v1/templates", out _));
    }

    [Fact]
    public async Task TheApiReferenceAnswersHtml()
    {
        using var anonymous = Factory.ClientWithKey(null);

        var response = await anonymous.GetAsync("/docs");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<html", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }
}
