using Crm.Grains;
using Npgsql;
using Orleans.Serialization;
using Orleans.Streams;

namespace Crm.Silo;

/// <summary>
/// Turns stream items into their queue row: the payload, the queue the provider's own mapper gives the stream, and
/// the tenant and subject that erasure finds it by.
/// </summary>
internal sealed class StreamQueueRows(Serializer<CrmBatchContainer> serializer)
{
    public NpgsqlBatchCommand Insert(string provider, IStreamQueueMapper queues, StreamId stream, List<object> items, Dictionary<string, object>? requestContext)
    {
        var payload = serializer.SerializeToArray(new CrmBatchContainer(stream, items, requestContext));
        var key = stream.GetKeyAsString();
        var queue = (int)queues.GetQueueForStream(stream).GetNumericId();
        return PostgresStreamQueue.Insert(provider, queue, stream, TenantOf(key), SubjectOf(key, items), payload);
    }

    /// <summary>Every stream key starts with the tenant id (<c>{tenant}</c> or <c>{tenant}/...</c>).</summary>
    private static string TenantOf(string key) => key.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? key[..slash] : key;

    /// <summary>The client an event is about; for anything else the stream key (an inbound message's is its sender's contact key).</summary>
    private static string SubjectOf(string key, List<object> items) =>
        items is [CrmEvent { ClientId: { Length: > 0 } clientId }, ..] ? clientId : key;
}
