using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Crm.Providers;
using Crm.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Crm.Api.Tests.Channels;

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

/// <summary>The API with its silo, whose channel settings tests configure per tenant; one host for the channel tests.</summary>
public sealed class ChannelApiFixture : IAsyncLifetime
{
    private CrmApiFactory crm = null!;

    public TestChannels Channels { get; } = new();

    public WebApplicationFactory<Program> Factory { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        crm = new CrmApiFactory(await PostgresServer.CreateDatabaseAsync());
        Factory = crm.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IOptionsMonitor<ChannelOptions>>(Channels)));
        _ = Factory.Server;
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
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
        Channels.Set(tenantId, configure(tenantId));
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

public static class Eventually
{
    /// <summary>Reads until <paramref name="done"/> holds: inbound messages and deliveries happen after the HTTP answer.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var value = await read();
            if (done(value))
                return value;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(100);
        }
    }
}
