using Crm.Silo;
using Crm.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.TestingHost;

namespace Crm.Grains.Tests;

/// <summary>An in-process Orleans cluster whose grain state and stores are a real PostgreSQL database of its own.</summary>
public class ClusterFixture : IAsyncLifetime
{
    /// <summary>Configuration of this fixture's cluster beyond its database (a fixture of its own may set more).</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings => [];

    public InProcessTestCluster Cluster { get; private set; } = null!;
    public string ConnectionString { get; private set; } = "";
    public IGrainFactory Grains => Cluster.Client;

    /// <summary>Stands in for every provider; shared by the cluster's silo and the tests.</summary>
    public FakeChannelSender Sender { get; } = new();

    public async Task InitializeAsync()
    {
        ConnectionString = await PostgresServer.CreateDatabaseAsync();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>(Settings) { ["ConnectionStrings:Crm"] = ConnectionString })
            .Build();
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddCrmStorage(configuration);
            silo.Services.AddSingleton<IChannelSender>(Sender);
        });
        builder.ConfigureClient(client => client.AddCrmStreams(configuration));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    /// <summary>Waits until the condition holds (inbound messages and deliveries are asynchronous), failing after a timeout.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int timeoutMs = 15_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Timed out waiting until {what}.");
            await Task.Delay(50);
        }
    }

    public IInboundGateway Gateway => Cluster.Silos[0].ServiceProvider.GetRequiredService<IInboundGateway>();

    public async Task<long> CountAsync(string sql, params object[] args)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var arg in args)
            command.Parameters.Add(new NpgsqlParameter { Value = arg });
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

/// <summary>Fresh tenants, clients and actors for each test, so no test sees another's rows.</summary>
public static class Fresh
{
    public static string Tenant() => Ids.New("tn");

    public static Actor Agent(string tenantId, string? userId = null) =>
        new() { TenantId = tenantId, UserId = userId ?? Ids.New("us"), Role = Role.Agent, KeyId = "test" };

    public static ClientFields Fields(params (string Name, string? Value)[] values) =>
        new() { Values = values.ToDictionary(v => v.Name, v => v.Value) };

    public static async Task<(IClientGrain Grain, ClientProfile Profile)> ClientAsync(
        IGrainFactory grains, string tenantId, string firstName = "Ann", params ContactDraft[] contacts)
    {
        var grain = grains.GetGrain<IClientGrain>(Ids.Key(tenantId, Ids.New("cl")));
        var result = await grain.CreateAsync(Fields(("firstName", firstName)), contacts, Agent(tenantId));
        Assert.True(result.IsOk, $"{result.Outcome}: {result.Detail}");
        return (grain, result.Value!);
    }

    /// <summary>The message as sent from the client's first contact, which the chat requires its client to hold.</summary>
    public static InboundMessage From(this InboundMessage message, ClientProfile client) =>
        message with { ContactType = client.Contacts[0].Type, ContactValue = client.Contacts[0].Value };

    public static InboundMessage Inbound(string tenantId, string text, string? providerId = null, Transport transport = Transport.Sms) => new()
    {
        TenantId = tenantId,
        Transport = transport,
        Provider = "twilio",
        ProviderMessageId = providerId ?? Ids.New("SM"),
        Sender = new Sender { Type = SenderType.Sms, Address = "+14155550123" },
        Text = text,
    };
}
