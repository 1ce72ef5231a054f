using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using Orleans.Streams;

namespace Crm.Silo;

/// <summary>
/// Pulls one queue for the pulling agent that owns it: leases a batch of rows per call, deletes a batch of delivered
/// rows per call. Failed deliveries are the failure handler's (<see cref="PostgresStreamFailureHandler"/>).
/// New rows are leased from a cursor: the highest id this receiver had leased <see cref="SettlePeriod"/> ago, since a
/// row can commit after rows with higher ids (two writers, each taking its ids before it commits). What lies behind
/// it and is visible again (a retry whose time came, a lease that ran out, a row committed later than that, a dead
/// letter replayed under its old id) is looked for once every <see cref="SweepPeriod"/>. So a poll of a busy queue
/// walks only the rows it took in the last moment, not every row taken since the table was last vacuumed.
/// </summary>
internal sealed partial class PostgresQueueReceiver(
    string provider,
    QueueId queue,
    PostgresStreamQueue rows,
    Serializer<CrmBatchContainer> serializer,
    CrmStreamOptions options,
    ILogger<PostgresQueueReceiver> logger) : IQueueAdapterReceiver
{
    private readonly int _queue = (int)queue.GetNumericId();
    private readonly Dictionary<long, DateTime> _held = [];
    private long _sequence;
    private long _cursor;
    private long _settled;
    private readonly Queue<(long At, long Cursor)> _cursors = new();
    private long _sweptAt;

    /// <summary>How often the rows behind the cursor are looked at; a retry comes back at most this much after its time.</summary>
    internal static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(1);

    /// <summary>How often the queue's expired dead letters are deleted (<see cref="CrmStreamOptions.DeadLetterRetention"/>); also at the first poll.</summary>
    internal static readonly TimeSpan PurgePeriod = TimeSpan.FromMinutes(10);

    private long _purgedAt;
    private bool _purged;

    /// <summary>How long after a row is leased its lower ids are taken to be committed, and left to the sweep.</summary>
    internal static readonly TimeSpan SettlePeriod = TimeSpan.FromMilliseconds(200);

    public Task Initialize(TimeSpan timeout) => Task.CompletedTask;

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount) => GetQueueMessagesAsync(maxCount, CancellationToken.None);

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount, CancellationToken cancellationToken)
    {
        var max = maxCount < 0 ? options.BatchSize : Math.Min(maxCount, options.BatchSize);
        if (!_purged || Stopwatch.GetElapsedTime(_purgedAt) >= PurgePeriod)
            await PurgeDeadLettersAsync(cancellationToken);
        while (_cursors.TryPeek(out var mark) && Stopwatch.GetElapsedTime(mark.At) >= SettlePeriod)
            _settled = _cursors.Dequeue().Cursor;
        var leased = new List<PostgresStreamQueue.Leased>();
        if (_settled > 0 && Stopwatch.GetElapsedTime(_sweptAt) >= SweepPeriod)
        {
            _sweptAt = Stopwatch.GetTimestamp();
            leased = await rows.LeaseAsync(provider, _queue, 0, _settled, max, options.VisibilityTimeout, cancellationToken);
        }
        if (leased.Count < max)
        {
            var ahead = await rows.LeaseAsync(provider, _queue, _settled, long.MaxValue, max - leased.Count, options.VisibilityTimeout, cancellationToken);
            if (ahead.Count > 0 && ahead[^1].Id > _cursor)
            {
                _cursor = ahead[^1].Id;
                _cursors.Enqueue((Stopwatch.GetTimestamp(), _cursor));
            }
            leased.AddRange(ahead);
        }
        var batches = new List<IBatchContainer>(leased.Count);
        foreach (var row in leased)
        {
            if (row.Attempts > options.MaxAttempts)
            {
                // Leased that often without an outcome: the silo delivering it stopped each time, perhaps because of it.
                await BuryAsync(row, $"{row.Attempts - 1} deliveries ended without an outcome (the silo pulling the queue stopped)", row.LastError);
                continue;
            }
            CrmBatchContainer batch;
            try
            {
                batch = serializer.Deserialize(row.Payload) ?? throw new InvalidDataException("The payload is empty.");
            }
            catch (Exception e)
            {
                await BuryAsync(row, "The payload cannot be read", StreamDeliveryErrors.Describe(e));
                continue;
            }
            batch.Token = new CrmStreamToken(++_sequence, 0, _queue, row.Id, row.Attempts);
            batches.Add(batch);
            lock (_held)
                _held[row.Id] = row.LeasedUntil;
        }
        lock (_held)
            ForgetExpiredLeases();
        return batches;
    }

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => MessagesDeliveredAsync(messages, CancellationToken.None);

    /// <summary>Every subscriber has taken these (Orleans' cache passes on only what no delivery failed for).</summary>
    public async Task MessagesDeliveredAsync(IList<IBatchContainer> messages, CancellationToken cancellationToken)
    {
        var ids = messages.OfType<CrmBatchContainer>().Select(m => m.Token!.RowId).ToArray();
        if (ids.Length == 0)
            return;
        await rows.DeleteAsync(provider, _queue, ids, cancellationToken);
        lock (_held)
        {
            foreach (var id in ids)
                _held.Remove(id);
        }
    }

    /// <summary>The queue goes to another puller (a silo joined or is leaving): what this one leased and did not finish goes back at once.</summary>
    public async Task Shutdown(TimeSpan timeout)
    {
        List<(long, DateTime)> held;
        lock (_held)
        {
            ForgetExpiredLeases();
            held = _held.Select(h => (h.Key, h.Value)).ToList();
            _held.Clear();
        }
        if (held.Count == 0)
            return;
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await rows.ReleaseAsync(provider, _queue, held, cancel.Token);
        }
        catch (Exception e)
        {
            // They come back when their lease runs out.
            LogReleaseFailed(logger, held.Count, provider, _queue, e);
        }
    }

    /// <summary>A lease that ran out is no longer this puller's to give back (and a failed delivery changed its row's lease).</summary>
    private void ForgetExpiredLeases()
    {
        var now = DateTime.UtcNow;
        foreach (var (id, until) in _held)
            if (until <= now)
                _held.Remove(id);
    }

    private async Task PurgeDeadLettersAsync(CancellationToken cancellationToken)
    {
        (_purged, _purgedAt) = (true, Stopwatch.GetTimestamp());
        try
        {
            var purged = await rows.PurgeDeadLettersAsync(provider, _queue, options.DeadLetterRetention, cancellationToken);
            if (purged > 0)
                LogPurged(logger, purged, provider, _queue, options.DeadLetterRetention);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The next period tries again; pulling goes on.
            LogPurgeFailed(logger, provider, _queue, e);
        }
    }

    private async Task BuryAsync(PostgresStreamQueue.Leased row, string reason, string? error)
    {
        await rows.BuryAsync(provider, _queue, row.Id, row.Attempts, reason, error);
        CrmMetrics.StreamDeadLetters.Add(1, new KeyValuePair<string, object?>("provider", provider));
        LogBuried(logger, row.Id, provider, _queue, reason);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} dead letters of {Provider} queue {Queue} older than {Retention}")]
    private static partial void LogPurged(ILogger logger, int count, string provider, int queue, TimeSpan retention);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete the expired dead letters of {Provider} queue {Queue}; the next period tries again")]
    private static partial void LogPurgeFailed(ILogger logger, string provider, int queue, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream row {RowId} of {Provider} queue {Queue} went to the dead letters: {Reason}")]
    private static partial void LogBuried(ILogger logger, long rowId, string provider, int queue, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not give back {Rows} leased rows of {Provider} queue {Queue}; they return when their lease ends")]
    private static partial void LogReleaseFailed(ILogger logger, int rows, string provider, int queue, Exception exception);
}
