using System.Collections.Concurrent;
using Crm.Grains;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
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
/// Durable streams on PostgreSQL, appended through the group commit: the queue row of <see cref="CrmStreams"/> (the
/// queue its provider's mapper gives the stream, the payload its pullers read), sharing a transaction with the
/// appends and writes of every other caller instead of committing alone. A webhook acknowledged after its append
/// waits for no commit of its own.
/// </summary>
internal sealed class GroupCommitStreamAppender(IServiceProvider services, GroupCommit commit, StreamQueueRows rows) : IStreamAppender, IStreamRows
{
    private readonly ConcurrentDictionary<string, IStreamQueueMapper> _queues = new(StringComparer.Ordinal);

    public Task AppendAsync<T>(StreamId stream, T item) => commit.WriteAsync(Enqueue(stream, item));

    public Task<bool> IsQueuedAsync(string provider, QueuedRow row) =>
        services.GetRequiredService<PostgresStreamQueue>().ExistsAsync(provider, row.Queue, row.RowId);

    public NpgsqlBatchCommand Enqueue<T>(StreamId stream, T item)
    {
        var provider = StreamNames.ProviderOf(stream);
        // The provider's own mapper, so a row lands in the queue the provider's puller reads for this stream.
        var queues = _queues.GetOrAdd(provider, name => services.GetRequiredKeyedService<IQueueAdapterFactory>(name).GetStreamQueueMapper());
        return rows.Insert(provider, queues, stream, [item!], requestContext: null);
    }

    public Task EraseAsync(string tenantId, IReadOnlyCollection<string> subjects) =>
        subjects.Count == 0 ? Task.CompletedTask : commit.WriteAsync(PostgresStreamQueue.Erase(tenantId, subjects));
}
