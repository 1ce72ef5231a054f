using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace Crm.Silo;

/// <summary>
/// A persistent stream provider on Crm's PostgreSQL tables: Orleans' hash ring maps a stream to one of
/// <c>partitions</c> queues, each pulled by one agent in the cluster through a <see cref="PostgresQueueReceiver"/>,
/// with Orleans' simple cache between the receiver and the subscribers.
/// </summary>
internal sealed class PostgresQueueAdapterFactory(string name, int partitions, CrmStreamOptions options, IServiceProvider services) : IQueueAdapterFactory
{
    private readonly HashRingBasedStreamQueueMapper _queues = new(new HashRingStreamQueueMapperOptions { TotalQueueCount = partitions }, name);

    // Ten batches per queue: the puller leases a batch at a time (the cache's "max add count" is a tenth of its size)
    // and stops leasing while ten are undelivered, which bounds how long a leased row waits in memory.
    private readonly Lazy<IQueueAdapterCache> _cache = new(() => new SimpleQueueAdapterCache(
        new SimpleQueueCacheOptions { CacheSize = options.BatchSize * 10 }, name, services.GetRequiredService<ILoggerFactory>()));

    private readonly Lazy<IStreamFailureHandler> _failures = new(() => new PostgresStreamFailureHandler(
        services.GetRequiredService<PostgresStreamQueue>(), options, services.GetRequiredService<ILogger<PostgresStreamFailureHandler>>()));

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IQueueAdapter> CreateAdapter() => CreateAdapter(CancellationToken.None);

    public Task<IQueueAdapter> CreateAdapter(CancellationToken cancellationToken) =>
        Task.FromResult<IQueueAdapter>(new PostgresQueueAdapter(name, _queues, options, services));

    public IQueueAdapterCache GetQueueAdapterCache() => _cache.Value;

    public IStreamQueueMapper GetStreamQueueMapper() => _queues;

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) => Task.FromResult(_failures.Value);
}
