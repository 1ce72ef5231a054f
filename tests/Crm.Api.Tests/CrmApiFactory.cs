using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Crm.Silo;
using Crm.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Api.Tests;

/// <summary>The whole API with its co-hosted silo on a PostgreSQL database of its own.</summary>
public class CrmApiFactory(string connectionString) : WebApplicationFactory<Program>
{
    public const string SystemKey = "test-system-key-0123456789";

    public string ConnectionString { get; } = connectionString;

    public string ClusterId { get; } = "test-" + Guid.NewGuid().ToString("N")[..8];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Crm", ConnectionString);
        builder.UseSetting("CRM_SYSTEM_KEY", SystemKey);
        builder.UseSetting("Crm:ClusterId", ClusterId);
        builder.UseSetting("Crm:SiloPort", PostgresServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Crm:GatewayPort", PostgresServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
    }

    /// <summary>Gives a tenant provider settings, as its operator would in configuration (tenant ids exist only once created).</summary>
    public void ConfigureChannels(string tenantId, Action<Crm.Providers.TenantChannels> configure)
    {
        var options = Services.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Crm.Providers.ChannelOptions>>().CurrentValue;
        lock (options)
        {
            var channels = options.Tenants.GetValueOrDefault(tenantId) ?? new Crm.Providers.TenantChannels();
            configure(channels);
            options.Tenants[tenantId] = channels;
        }
    }

    public HttpClient ClientWithKey(string? key)
    {
        var client = CreateClient();
        if (key is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>A new tenant and an HTTP client holding its admin key.</summary>
    public async Task<Tenant> CreateTenantAsync(string name = "Acme")
    {
        using var system = ClientWithKey(SystemKey);
        var response = await system.PostAsJsonAsync("/api/v1/tenants", new { name });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var key = body.GetProperty("apiKey").GetString()!;
        return new Tenant(body.GetProperty("tenantId").GetString()!, body.GetProperty("adminUserId").GetString()!, key, ClientWithKey(key));
    }
}

public sealed record Tenant(string Id, string AdminUserId, string AdminKey, HttpClient Admin);

/// <summary>One API host per test collection; every test makes its own tenant, so tests never share rows.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    public CrmApiFactory Factory { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Factory = new CrmApiFactory(await PostgresServer.CreateDatabaseAsync());
        _ = Factory.Server;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}

public static class Json
{
    public static async Task<JsonElement> BodyAsync(this HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>(CrmJson.Options);

    public static string Str(this JsonElement element, string property) => element.GetProperty(property).GetString()!;
}
