using System.Net.Http.Json;
using Crm.Grains;
using Crm.Silo;
using Crm.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace Crm.Api.Tests;

/// <summary>
/// The cluster of <c>./crm cluster N</c> on a database of its own: N Crm.Silo.Host processes and the API as their
/// Orleans client, on PostgreSQL membership, with a tenant whose Twilio account is a fake. Disposing it writes the
/// last warnings and errors of every process to the test's output, for a failing run to show what they went through.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    private readonly List<CrmProcess> _silos = [];
    private readonly ITestOutputHelper _output;
    private CrmProcess? _api;

    private ProcessCluster(string db, string clusterId, string tenantId, string key, FakeTwilio twilio, ITestOutputHelper output) =>
        (Db, ClusterId, TenantId, Key, Twilio, _output) = (db, clusterId, tenantId, key, twilio, output);

    public string Db { get; }
    public string ClusterId { get; }
    public string TenantId { get; }

    /// <summary>The tenant's API key.</summary>
    public string Key { get; }

    public FakeTwilio Twilio { get; }
    public IReadOnlyList<CrmProcess> Silos => _silos;
    public CrmProcess Api => _api!;

    /// <summary>
    /// Starts <paramref name="silos"/> silos, then the API, every process with the tenant's Twilio settings and
    /// <paramref name="environment"/> on top.
    /// </summary>
    public static async Task<ProcessCluster> StartAsync(string name, int silos, ITestOutputHelper output, IReadOnlyDictionary<string, string>? environment = null)
    {
        var db = await PostgresServer.CreateDatabaseAsync();
        var twilio = await FakeTwilio.StartAsync();
        var (tenantId, key) = await ProcessScenario.CreateTenantAsync(db, name);
        var cluster = new ProcessCluster(db, ProcessScenario.NewClusterId(name.ToLowerInvariant()), tenantId, key, twilio, output);
        try
        {
            var settings = ProcessScenario.TwilioEnvironment(tenantId, twilio);
            foreach (var (variable, value) in environment ?? new Dictionary<string, string>())
                settings[variable] = value;
            for (var i = 0; i < silos; i++)
                cluster._silos.Add(await CrmProcess.StartSiloAsync(db, cluster.ClusterId, settings));
            cluster._api = await CrmProcess.StartAsync(db, cluster.ClusterId, new Dictionary<string, string>(settings) { ["Crm__Role"] = "Client" });
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client per phone number (first names Kept0, Kept1...) and its chat; the chats' ids in the same order.</summary>
    public static async Task<List<string>> CreateChatsAsync(HttpClient http, IReadOnlyList<string> phones)
    {
        var chatIds = new List<string>();
        for (var i = 0; i < phones.Count; i++)
        {
            var client = await (await http.PostAsJsonAsync("/api/v1/clients", new { firstName = $"Kept{i}", contacts = new[] { new { type = "phone", value = phones[i] } } })).BodyAsync();
            chatIds.Add((await (await http.GetAsync($"/api/v1/clients/{client.Str("id")}/chat")).BodyAsync()).Str("id"));
        }
        return chatIds;
    }

    /// <summary>The silo the tenant's grain is active on (every API-key check of the tenant goes through it), asked of the cluster as an Orleans client of its own.</summary>
    public async Task<CrmProcess> HostOfTenantGrainAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Crm"] = Db,
            ["Crm:ClusterId"] = ClusterId,
        }).Build();
        using var host = new HostBuilder().UseOrleansClient(client => client.AddCrmClient(configuration)).Build();
        await host.StartAsync();
        var grains = host.Services.GetRequiredService<IClusterClient>();
        var address = await grains.GetGrain<IManagementGrain>(0).GetActivationAddress(grains.GetGrain<ITenantGrain>(TenantId));
        await host.StopAsync();
        return _silos.SingleOrDefault(silo => silo.SiloPort == address?.Endpoint.Port)
            ?? throw new InvalidOperationException($"The tenant's grain is on {address?.ToString() ?? "no silo"}, none of the {_silos.Count} started.");
    }

    /// <summary>
    /// Every send answered 202 (<paramref name="queued"/>) reaches the provider once, once the outbox is empty. A
    /// provider call under way when a silo died may or may not have gone out: such a message is never sent blindly
    /// again but shown failed ("interrupted") for the agent to check and retry, at most <paramref name="maxInterrupted"/>
    /// of them. A send never answered (<paramref name="unanswered"/>) may have been carried out. Returns how many
    /// were delivered and interrupted.
    /// </summary>
    public async Task<(int Delivered, int Interrupted)> AssertEverySendDeliveredOnceAsync(
        IReadOnlyCollection<string> queued, IReadOnlyCollection<string> unanswered, int maxInterrupted)
    {
        await Channel.EventuallyAsync(() => ProcessScenario.ScalarAsync(Db, "select count(*) from messages where tenant_id = $1 and direction = 'outbound' and status = 'queued'", TenantId),
            n => n == 0, "every queued message has left the outbox", seconds: 150);
        var (delivered, interrupted) = await Channel.EventuallyAsync(async () => (
                Twilio.Accepted.Select(s => s.Form["Body"]).ToList(),
                await ProcessScenario.TextsAsync(Db, "select text from messages where tenant_id = $1 and status = 'failed' and error_code = 'interrupted'", TenantId)),
            outcome => queued.All(outcome.Item1.Union(outcome.Item2).ToHashSet().Contains), "every queued send is delivered or shown interrupted");

        Assert.Equal(delivered.Count, delivered.Distinct().Count());
        Assert.Subset(delivered.Union(interrupted).ToHashSet(), queued.ToHashSet());
        Assert.Subset(queued.Union(unanswered).ToHashSet(), delivered.Union(interrupted).ToHashSet());
        Assert.True(interrupted.Count <= maxInterrupted, $"{interrupted.Count} interrupted sends");
        return (delivered.Count, interrupted.Count);
    }

    public async ValueTask DisposeAsync()
    {
        if (_api is not null)
        {
            _output.WriteLine($"API log:\n{_api.RecentOutput}");
            await _api.DisposeAsync();
        }
        for (var i = 0; i < _silos.Count; i++)
            _output.WriteLine($"silo {i} log:\n{_silos[i].RecentOutput}");
        foreach (var silo in _silos)
            await silo.DisposeAsync();
        await Twilio.DisposeAsync();
    }
}

/// <summary>
/// Tests that run a cluster of their own processes (three silos and an API each, every one with its connection pools)
/// take turns: two at once came past PostgreSQL's 300 connections ("53300: sorry, too many clients already").
/// </summary>
[CollectionDefinition(Name)]
public sealed class ProcessClusterCollection
{
    public const string Name = "process clusters";
}
