using System.Collections.Concurrent;
using System.Reflection;
using Crm.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Orleans.Configuration;
using Orleans.Streams;

namespace Crm.Silo;

/// <summary>
/// The row that puts one item on a durable stream, as a statement a store adds to its own group-commit write: the
/// change and the event that announces it then commit together or not at all.
/// </summary>
internal interface IStreamRows
{
    NpgsqlBatchCommand Enqueue<T>(StreamId stream, T item);
}

/// <summary>
/// Durable streams on PostgreSQL, appended through the group commit: the row the ADO.NET stream provider would
/// insert for <c>OnNextAsync</c> (same queue, same payload), but sharing its transaction with the appends and writes
/// of every other caller instead of committing alone. The provider's pulling agents read these rows like any other,
/// so delivery order per queue, retries and dead letters are unchanged. What this buys: a webhook acknowledged after
/// its append no longer waits for a commit of its own.
/// </summary>
internal sealed class GroupCommitStreamAppender : IStreamAppender, IStreamRows
{
    private const string Insert = """
        INSERT INTO OrleansStreamMessage (ServiceId, ProviderId, QueueId, Dequeued, VisibleOn, ExpiresOn, CreatedOn, ModifiedOn, Payload)
        VALUES (@service, @provider, @queue, 0, now(), now() + @expiry * interval '1 second', now(), now(), @payload)
        """;

    private readonly GroupCommit _commit;
    private readonly string _serviceId;
    private readonly int _expirySeconds = (int)Math.Ceiling(CrmSiloExtensions.StreamExpiry.TotalSeconds);
    private readonly IServiceProvider _services;
    private readonly ConcurrentDictionary<string, IStreamQueueMapper> _queues = new(StringComparer.Ordinal);
    private readonly Lazy<BatchPayload> _payloads;

    public GroupCommitStreamAppender(IServiceProvider services, GroupCommit commit, IOptions<ClusterOptions> cluster)
    {
        (_services, _commit, _serviceId) = (services, commit, cluster.Value.ServiceId);
        _payloads = new(() => new BatchPayload(services.GetRequiredService<Orleans.Serialization.Serializer>()));
    }

    public Task AppendAsync<T>(StreamId stream, T item) => _commit.WriteAsync(Enqueue(stream, item));

    public NpgsqlBatchCommand Enqueue<T>(StreamId stream, T item)
    {
        var provider = StreamNames.ProviderOf(stream);
        // The provider's own mapper, so an appended row lands in the queue its producer would have chosen.
        var queues = _queues.GetOrAdd(provider, name => _services.GetRequiredKeyedService<IQueueAdapterFactory>(name).GetStreamQueueMapper());
        var statement = new NpgsqlBatchCommand(Insert);
        var p = statement.Parameters;
        p.AddWithValue("service", _serviceId);
        p.AddWithValue("provider", provider);
        p.AddWithValue("queue", queues.GetQueueForStream(stream).ToString());
        p.AddWithValue("expiry", _expirySeconds);
        p.AddWithValue("payload", NpgsqlDbType.Bytea, _payloads.Value.Of(stream, item));
        return statement;
    }

    /// <summary>
    /// The payload the provider's pulling agent reads back: its batch container (stream, events, request context)
    /// in Orleans' binary serialization. The container type is internal to the provider, so it is found by name;
    /// a provider version without it fails at the first append, loudly, not by losing messages.
    /// </summary>
    private sealed class BatchPayload
    {
        private const string ContainerTypeName = "Orleans.Streaming.AdoNet.AdoNetBatchContainer, Orleans.Streaming.AdoNet";

        private readonly Orleans.Serialization.Serializer _serializer;
        private readonly ConstructorInfo _container;
        private readonly MethodInfo _serialize;

        public BatchPayload(Orleans.Serialization.Serializer serializer)
        {
            _serializer = serializer;
            var type = Type.GetType(ContainerTypeName, throwOnError: true)!;
            _container = type.GetConstructor([typeof(StreamId), typeof(List<object>), typeof(Dictionary<string, object>)])
                ?? throw new InvalidOperationException($"{type} has no (StreamId, List<object>, Dictionary<string, object>) constructor in this provider version.");
            _serialize = typeof(Orleans.Serialization.Serializer).GetMethods()
                .Single(m => m.Name == nameof(Orleans.Serialization.Serializer.SerializeToArray) && m.GetParameters().Length == 1)
                .MakeGenericMethod(type);
        }

        public byte[] Of<T>(StreamId stream, T item)
        {
            var container = _container.Invoke([stream, new List<object> { item! }, null]);
            return (byte[])_serialize.Invoke(_serializer, [container])!;
        }
    }
}
