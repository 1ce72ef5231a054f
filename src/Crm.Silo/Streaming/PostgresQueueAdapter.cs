using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using Orleans.Streams;

namespace Crm.Silo;

/// <summary>
/// One stream provider's queues in <c>stream_queue</c>. Crm's own producers append through the group commit
/// (<see cref="GroupCommitStreamAppender"/>); this path serves <c>OnNextAsync</c> of any other producer, a row per call.
/// </summary>
internal sealed class PostgresQueueAdapter(string name, IStreamQueueMapper queues, CrmStreamOptions options, IServiceProvider services) : IQueueAdapter
{
    public string Name => name;

    /// <summary>Delivered rows are deleted: a subscriber cannot go back in the stream.</summary>
    public bool IsRewindable => false;

    public StreamProviderDirection Direction => StreamProviderDirection.ReadWrite;

    public async Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext)
    {
        if (token is not null)
            throw new ArgumentException("The Crm streams are not rewindable: an item cannot be queued at a given token.", nameof(token));
        var insert = services.GetRequiredService<StreamQueueRows>().Insert(name, queues, streamId, events.Cast<object>().ToList(), requestContext);
        await services.GetRequiredService<PostgresStreamQueue>().ExecuteAsync(insert, CancellationToken.None);
    }

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId) => new PostgresQueueReceiver(
        name, queueId, services.GetRequiredService<PostgresStreamQueue>(), services.GetRequiredService<Serializer<CrmBatchContainer>>(),
        options, services.GetRequiredService<ILogger<PostgresQueueReceiver>>());
}
