using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Crm.Providers;
using Crm.Testing;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Crm.Api.Tests.Channels;

/// <summary>The API with its silo, whose channel settings tests configure per tenant; one host for the channel tests.</summary>
public sealed class ChannelApiFixture : IAsyncLifetime
{
    private CrmApiFactory crm = null!;

    public WebApplicationFactory<Program> Factory { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        crm = new CrmApiFactory(await PostgresServer.CreateDatabaseAsync());
        Factory = crm;
        _ = Factory.Server;
    }

    public async Task DisposeAsync()
    {
        await crm.DisposeAsync();
    }

    public HttpClient Anonymous() => Factory.CreateClient();

    /// <summary>A new tenant with the channels <paramref name="configure"/> gives it, and an HTTP client holding its admin key.</summary>
    public async Task<Tenant> CreateTenantAsync(Func<string, TenantChannels> configure)
    {
        using var system = Factory.CreateClient();
        system.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", CrmApiFactory.SystemKey);
        var response = await system.PostAsJsonAsync("/api/v1/tenants", new { name = "Channels Co" });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var tenantId = body.Str("tenantId");
        crm.Channels.Set(tenantId, configure(tenantId));
        var admin = Factory.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", body.Str("apiKey"));
        return new Tenant(tenantId, body.Str("adminUserId"), body.Str("apiKey"), admin);
    }
}

[CollectionDefinition(Name)]
public sealed class ChannelCollection : ICollectionFixture<ChannelApiFixture>
{
    public const string Name = "channels";
}
