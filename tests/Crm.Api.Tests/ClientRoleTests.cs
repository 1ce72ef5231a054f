using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Crm.Grains;
using Crm.Silo;
using Crm.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Crm.Api.Tests;

/// <summary>
/// Crm:Role=Client: the API is an Orleans client of a silo it does not host (here a silo host in the same
/// test process, on the same database and cluster id), serves the API through it, and runs no channel
/// sender or background receiver of its own.
/// </summary>
public sealed class ClientRoleTests : IAsyncLifetime
{
    private IHost silo = null!;
    private ClientRoleFactory api = null!;

    public async Task InitializeAsync()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync();
        var clusterId = "test-" + Guid.NewGuid().ToString("N")[..8];
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Crm"] = connectionString,
            ["Crm:ClusterId"] = clusterId,
            ["Crm:SiloPort"] = PostgresServer.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Crm:GatewayPort"] = PostgresServer.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.UseOrleans(s => s.AddCrmSilo(builder.Configuration));
        silo = builder.Build();
        await silo.StartAsync();

        api = new ClientRoleFactory(connectionString, clusterId);
        _ = api.Server;
    }

    public async Task DisposeAsync()
    {
        await api.DisposeAsync();
        await silo.StopAsync();
        silo.Dispose();
    }

    [Fact]
    public async Task TheApiServesThroughTheClusterAndIsReady()
    {
        using var anonymous = api.ClientWithKey(null);
        var ready = await anonymous.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());

        var tenant = await api.CreateTenantAsync();
        var created = await tenant.Admin.PostAsJsonAsync("/api/v1/clients", new { firstName = "Ann", lastName = "Lee" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.BodyAsync()).Str("id");
        var read = await tenant.Admin.GetAsync($"/api/v1/clients/{id}");
        Assert.Equal("Ann", (await read.BodyAsync()).Str("firstName"));
    }

    [Fact]
    public void NoSenderOrReceiverRunsOnTheApiNode()
    {
        Assert.Null(api.Services.GetService<IChannelSender>());
        Assert.DoesNotContain(api.Services.GetServices<IHostedService>(),
            s => s is Crm.Providers.ImapReceiver or Crm.Providers.TelegramPollingService);
        Assert.NotNull(api.Services.GetService<IInboundGateway>());
    }

    private sealed class ClientRoleFactory(string connectionString, string clusterId) : CrmApiFactory(connectionString)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Crm:ClusterId", clusterId);
            builder.UseSetting("Crm:Role", "Client");
        }
    }
}
