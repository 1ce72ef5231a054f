using Orleans.Streams;

namespace Crm.Silo;

/// <summary>
/// The items of one stream row: what <c>stream_queue.payload</c> holds (Orleans' binary serialization, without the
/// token) and what subscribers are handed (with the token the puller gave it). Fields 0-2 are those of the ADO.NET
/// provider's container, so rows that provider left behind are read by this one (migration 0016).
/// </summary>
[GenerateSerializer, Alias("crm.stream-batch")]
internal sealed class CrmBatchContainer(StreamId streamId, List<object> events, Dictionary<string, object>? requestContext) : IBatchContainer
{
    [Id(0)] public StreamId StreamId { get; } = streamId;

    [Id(1)] public List<object> Events { get; } = events;

    [Id(2)] public Dictionary<string, object>? RequestContext { get; } = requestContext;

    /// <summary>Set by the puller when it leases the row; never stored.</summary>
    [Id(10)] public CrmStreamToken? Token { get; set; }

    StreamSequenceToken IBatchContainer.SequenceToken =>
        Token ?? throw new InvalidOperationException("A stream batch is delivered only after its row is leased.");

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>()
    {
        var token = Token ?? throw new InvalidOperationException("A stream batch is delivered only after its row is leased.");
        for (var i = 0; i < Events.Count; i++)
            if (Events[i] is T item)
                yield return Tuple.Create<T, StreamSequenceToken>(item, i == 0 ? token : token.ForEvent(i));
    }

    public bool ImportRequestContext()
    {
        if (RequestContext is null)
            return false;
        RequestContextExtensions.Import(RequestContext);
        return true;
    }

    public override string ToString() => $"[{StreamId}: {Events.Count} item(s), {Token}]";
}
