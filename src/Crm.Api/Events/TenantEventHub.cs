using System.Collections.Concurrent;
using System.Threading.Channels;
using Crm.Grains;
using Orleans.Streams;

namespace Crm.Api;

/// <summary>
/// Fans a tenant's <c>events</c> stream out to the live connections of this API node: one stream
/// subscription per tenant while anyone listens, one bounded queue per connection.
/// </summary>
internal sealed class TenantEventHub(IClusterClient cluster)
{
    private const int QueueLength = 1000;
    private readonly ConcurrentDictionary<string, Tenant> _tenants = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<Listener> ListenAsync(string tenantId)
    {
        var queue = Channel.CreateBounded<CrmEvent>(new BoundedChannelOptions(QueueLength) { FullMode = BoundedChannelFullMode.DropOldest });
        await _gate.WaitAsync();
        try
        {
            if (!_tenants.TryGetValue(tenantId, out var tenant))
            {
                tenant = new Tenant();
                var stream = cluster.GetStreamProvider(StreamNames.Provider).GetStream<CrmEvent>(StreamId.Create(StreamNames.Events, tenantId));
                tenant.Subscription = await stream.SubscribeAsync((e, _) => tenant.Publish(e));
                _tenants[tenantId] = tenant;
            }
            tenant.Queues.TryAdd(queue, 0);
        }
        finally
        {
            _gate.Release();
        }
        return new Listener(queue.Reader, () => LeaveAsync(tenantId, queue));
    }

    private async Task LeaveAsync(string tenantId, Channel<CrmEvent> queue)
    {
        await _gate.WaitAsync();
        try
        {
            if (!_tenants.TryGetValue(tenantId, out var tenant))
                return;
            tenant.Queues.TryRemove(queue, out _);
            if (!tenant.Queues.IsEmpty)
                return;
            _tenants.TryRemove(tenantId, out _);
            await tenant.Subscription!.UnsubscribeAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    private sealed class Tenant
    {
        public ConcurrentDictionary<Channel<CrmEvent>, byte> Queues { get; } = new();
        public StreamSubscriptionHandle<CrmEvent>? Subscription { get; set; }

        public Task Publish(CrmEvent e)
        {
            foreach (var queue in Queues.Keys)
                queue.Writer.TryWrite(e);
            return Task.CompletedTask;
        }
    }

    internal sealed class Listener(ChannelReader<CrmEvent> events, Func<Task> leave) : IAsyncDisposable
    {
        public ChannelReader<CrmEvent> Events => events;

        public async ValueTask DisposeAsync() => await leave();
    }
}
