using Crm.Grains;
using System.Globalization;
using Orleans.Streams;

namespace Crm.Silo;

/// <summary>
/// Where an item stands in the delivery order of its queue's puller, and which row and attempt it came from. The
/// order is the puller's own count, not the row id: a row retried after a failure comes back behind newer rows, and
/// Orleans' queue cache needs the tokens it holds to rise in the order they were added.
/// </summary>
[GenerateSerializer, Alias("crm.stream-token")]
public sealed class CrmStreamToken : StreamSequenceToken, IQueuedItemToken
{
    public CrmStreamToken(long sequenceNumber, int eventIndex, int queue, long rowId, int attempt) =>
        (SequenceNumber, EventIndex, Queue, RowId, Attempt) = (sequenceNumber, eventIndex, queue, rowId, attempt);

    [Id(0)] public override long SequenceNumber { get; protected set; }

    [Id(1)] public override int EventIndex { get; protected set; }

    /// <summary>The item's row in <c>stream_queue</c>.</summary>
    [Id(2)] public long RowId { get; private set; }

    /// <summary>The queue of the row, part of its key.</summary>
    [Id(4)] public int Queue { get; private set; }

    public QueuedRow Row => new() { Queue = Queue, RowId = RowId };

    /// <summary>Which delivery of the row this is, from 1.</summary>
    [Id(3)] public int Attempt { get; private set; }

    /// <summary>
    /// Why the last delivery of this batch failed, as the delivering silo saw it; kept in that silo only. Orleans hands
    /// the failure handler the token but not the exception, so <see cref="StreamDeliveryErrors"/> writes it here.
    /// </summary>
    [NonSerialized] internal string? DeliveryError;

    public CrmStreamToken ForEvent(int eventIndex) => new(SequenceNumber, eventIndex, Queue, RowId, Attempt);

    public override bool Equals(object? obj) => Equals(obj as StreamSequenceToken);

    public override bool Equals(StreamSequenceToken? other) =>
        other is CrmStreamToken token && token.SequenceNumber == SequenceNumber && token.EventIndex == EventIndex;

    public override int CompareTo(StreamSequenceToken? other) => other switch
    {
        null => 1,
        CrmStreamToken token => SequenceNumber != token.SequenceNumber ? SequenceNumber.CompareTo(token.SequenceNumber) : EventIndex.CompareTo(token.EventIndex),
        _ => throw new ArgumentOutOfRangeException(nameof(other), $"{other.GetType()} is not a {nameof(CrmStreamToken)}."),
    };

    public override int GetHashCode() => HashCode.Combine(SequenceNumber, EventIndex);

    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "[{0}.{1}: queue {2} row {3}, attempt {4}]", SequenceNumber, EventIndex, Queue, RowId, Attempt);
}
