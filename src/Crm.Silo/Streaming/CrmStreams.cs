using Crm.Grains;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Orleans.Runtime.Providers;
using Orleans.Streams;

namespace Crm.Silo;

/// <summary>
/// The durable <c>inbound</c> and <c>events</c> streams on Crm's PostgreSQL queue tables (migration 0016). Silos pull
/// and deliver; clients (API nodes, external services) produce and subscribe. Both must use the same partitions.
/// Inbound messages have a provider of their own with implicit subscriptions only (<see cref="StreamNames.InboundProvider"/>).
/// </summary>
public static class CrmStreams
{
    private static readonly (string Name, StreamPubSubType PubSub)[] Providers =
    [
        (StreamNames.Provider, StreamPubSubType.ExplicitGrainBasedAndImplicit),
        (StreamNames.InboundProvider, StreamPubSubType.ImplicitOnly),
    ];

    public static void AddCrmStreams(this ISiloBuilder silo, IConfiguration configuration)
    {
        var options = CrmStreamOptions.From(configuration);
        AddQueueServices(silo.Services, configuration);
        silo.AddOutgoingGrainCallFilter<StreamDeliveryErrors>();
        foreach (var (name, pubSub) in Providers)
            silo.AddPersistentStreams(name, Factory(configuration, options), streams =>
            {
                streams.ConfigureStreamPubSub(pubSub);
                streams.ConfigurePullingAgent(agent => agent.Configure(o =>
                {
                    o.GetQueueMsgsTimerPeriod = options.PollPeriod;
                    // One delivery per lease. Orleans retries a failing delivery until this much time has passed (default
                    // 1 minute, during which the stream's next items waited: a visitor's next message took a minute); the
                    // retries are ours instead, per row with backoff, while the stream goes on. Orleans checks the time
                    // before each try, the first included, and waits the delivery backoff after a failure, so a limit
                    // below that 100 ms wait allows exactly one try and holds a failing stream for 100 ms. Not equal to
                    // it: a timer may fire a fraction of a millisecond early by the wall clock, and a subscriber that
                    // throws at once then got a second try (seen in StreamQueueTests). A stall of 50 ms before the
                    // first try costs the row an attempt.
                    o.MaxEventDeliveryTime = StreamBackoff.DeliveryPause / 2;
                    // BatchContainerBatchSize stays 1: several items handed over in one call fail together, and a poison
                    // item would take its neighbours back to the queue with it.
                }));
                streams.ConfigureBackoffProvider((_, _) => (IMessageDeliveryBackoffProvider)StreamBackoff.Delivery);
                streams.ConfigureBackoffProvider((_, _) => (IQueueReaderBackoffProvider)StreamBackoff.Reader);
            });
    }

    public static void AddCrmStreams(this IClientBuilder client, IConfiguration configuration)
    {
        var options = CrmStreamOptions.From(configuration);
        AddQueueServices(client.Services, configuration);
        foreach (var (name, pubSub) in Providers)
            client.AddPersistentStreams(name, Factory(configuration, options), streams => streams.ConfigureStreamPubSub(pubSub));
    }

    private static Func<IServiceProvider, string, IQueueAdapterFactory> Factory(IConfiguration configuration, CrmStreamOptions options) =>
        (services, name) => new PostgresQueueAdapterFactory(name, configuration.GetCrmOptions().StreamPartitions, options, services);

    private static void AddQueueServices(IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton<StreamQueueRows>();
        services.TryAddSingleton(_ => new PostgresStreamQueue(NpgsqlDataSource.Create(QueueConnectionString(configuration))));
    }

    /// <summary>
    /// Orleans' connection string (the pullers' statements are prepared once used), with each execution planned for its
    /// own values and the planner held to walking the queue's key. The table fills and empties within seconds, so its
    /// statistics are always those of another moment: in a 100,000-message burst, the generic plan of "the rows of
    /// this queue with these ids" read the queue's whole backlog and filtered it (the delete of 32 delivered rows took
    /// 2.8 ms a call in the bench, 8.5 ms in a 10,000-row queue against 0.06 ms planned for its ids). Planning costs
    /// tenths of a millisecond; these connections run the stream statements only.
    /// </summary>
    internal static string QueueConnectionString(IConfiguration configuration)
    {
        var builder = new NpgsqlConnectionStringBuilder(configuration.GetOrleansConnectionString());
        builder.Options = $"{builder.Options} -c plan_cache_mode=force_custom_plan -c enable_seqscan=off -c enable_bitmapscan=off -c enable_sort=off".Trim();
        return builder.ConnectionString;
    }
}
