using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Crm.Providers;
using Crm.Silo;
using Crm.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Crm.Api.Tests;

/// <summary>
/// The whole API with its co-hosted silo on a PostgreSQL database of its own; given the cluster id of another
/// factory on the same database, a second API node whose silo joins that cluster.
/// </summary>
public class CrmApiFactory(string connectionString, string? clusterId = null) : WebApplicationFactory<Program>
{
    public const string SystemKey = "test-system-key-0123456789";

    public string ConnectionString { get; } = connectionString;

    public string ClusterId { get; } = clusterId ?? "test-" + Guid.NewGuid().ToString("N")[..8];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:Crm", ConnectionString);
        builder.UseSetting("CRM_SYSTEM_KEY", SystemKey);
        builder.UseSetting("Crm:ClusterId", ClusterId);
        builder.UseSetting("Crm:SiloPort", PostgresServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Crm:GatewayPort", PostgresServer.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        // Every test signs in from 127.0.0.1; the per-email lockout stays at its default.
        builder.UseSetting("Crm:RateLimit:SignInsPerMinute", "100000");
        builder.ConfigureTestServices(services => services.AddSingleton<IOptionsMonitor<ChannelOptions>>(Channels));
    }

    /// <summary>Gives a tenant provider settings, as its operator would in configuration (tenant ids exist only once created).</summary>
    public void ConfigureChannels(string tenantId, Action<TenantChannels> configure)
    {
        var channels = Channels.CurrentValue.Tenants.GetValueOrDefault(tenantId) ?? new TenantChannels();
        configure(channels);
        Channels.Set(tenantId, channels);
    }

    /// <summary>The channel settings the host reads, replacing configuration so tests can set them per tenant.</summary>
    public TestChannels Channels { get; } = new();

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

/// <summary>
/// Per-tenant channel settings that tests set after creating the tenant (its id is only known then).
/// Copy-on-write, so the silo's delivery loop always reads a whole snapshot.
/// </summary>
public sealed class TestChannels : IOptionsMonitor<ChannelOptions>
{
    private ChannelOptions current = new();

    public ChannelOptions CurrentValue => Volatile.Read(ref current);

    public ChannelOptions Get(string? name) => CurrentValue;

    public IDisposable? OnChange(Action<ChannelOptions, string?> listener) => null;

    public void Set(string tenantId, TenantChannels channels)
    {
        lock (this)
        {
            var next = new ChannelOptions { PublicBaseUrl = current.PublicBaseUrl, Tenants = new(current.Tenants, StringComparer.Ordinal) { [tenantId] = channels } };
            Volatile.Write(ref current, next);
        }
    }
}
