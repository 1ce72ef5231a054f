using Crm.Grains;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Crm.Silo;

/// <summary>
/// Drains the <c>inbox</c> into the contact grains once the silo is active. A batch is taken with
/// <c>for update skip locked</c> (other silos take other rows) and held until its messages are stored, then deleted
/// in the same transaction; a silo that dies mid-batch leaves its rows to the next taker, and the chat drops the
/// repeats by provider message id. One contact's messages go in order; different contacts go concurrently.
/// </summary>
internal sealed partial class InboxDrainer(NpgsqlDataSource db, IGrainFactory grains, InboxSignal signal, ILogger<InboxDrainer> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private const int BatchSize = 1000;
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(100);
    private readonly CancellationTokenSource _stop = new();
    private Task _draining = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(InboxDrainer), ServiceLifecycleStage.Active, Start, StopAsync);

    private Task Start(CancellationToken cancellationToken)
    {
        _draining = Task.Run(DrainAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        await _draining.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task DrainAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var drained = 0;
            try
            {
                drained = await DrainBatchAsync(_stop.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogDrainFailed(logger, e);
                await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (drained == 0)
                await ((Task)signal.WaitAsync(IdlePoll, _stop.Token)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task<int> DrainBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var rows = new List<(long Id, string ContactKey, InboundMessage Message)>();
        await using (var take = new NpgsqlCommand("select id, contact_key, message::text from inbox order by id limit $1 for update skip locked", connection, tx))
        {
            take.Parameters.Add(new() { Value = BatchSize });
            await using var reader = await take.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                rows.Add((reader.GetInt64(0), reader.GetString(1), CrmJson.Read<InboundMessage>(reader.GetString(2))));
        }
        if (rows.Count == 0)
            return 0;

        var done = await Task.WhenAll(rows.GroupBy(r => r.ContactKey).Select(contact => ReceiveInOrderAsync(contact.Key, contact.ToList())));
        await using (var delete = new NpgsqlCommand("delete from inbox where id = any($1)", connection, tx))
        {
            delete.Parameters.Add(new() { Value = done.SelectMany(ids => ids).ToArray() });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        return rows.Count;
    }

    /// <summary>The ids stored (or refused for good), in order, up to the first that failed: it and the rest stay for the next batch.</summary>
    private async Task<List<long>> ReceiveInOrderAsync(string contactKey, List<(long Id, string ContactKey, InboundMessage Message)> messages)
    {
        var done = new List<long>();
        var contact = grains.GetGrain<IContactGrain>(contactKey);
        foreach (var (id, _, message) in messages)
        {
            try
            {
                var result = await contact.ReceiveAsync(message);
                if (!result.IsOk)
                    LogRefused(logger, message.Transport, message.ProviderMessageId, result.Outcome, result.Detail);
                done.Add(id);
            }
            catch (Exception e)
            {
                LogReceiveFailed(logger, e, message.Transport, message.ProviderMessageId);
                break;
            }
        }
        return done;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Draining the inbox failed; trying again in a second")]
    private static partial void LogDrainFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbound {Transport} message {ProviderMessageId} failed; it stays in the inbox for the next batch")]
    private static partial void LogReceiveFailed(ILogger logger, Exception exception, Transport transport, string providerMessageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbound {Transport} message {ProviderMessageId} was not stored: {Outcome} {Detail}")]
    private static partial void LogRefused(ILogger logger, Transport transport, string providerMessageId, Outcome outcome, string? detail);
}
