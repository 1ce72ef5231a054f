using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Crm.Silo;

/// <summary>
/// Group commit: the writes of many grains share one transaction and one round trip. A writer takes whatever
/// is waiting (up to <see cref="MaxStatements"/>) while the previous commit is under way, so a lone write goes
/// out at once and a burst fills the next batch. A caller's task completes only after the commit that holds its
/// statements, so whoever acknowledges after awaiting it acknowledges something durable.
/// </summary>
internal sealed partial class GroupCommit : IAsyncDisposable
{
    public const int MaxStatements = 400;
    private const int Writers = 3;

    private readonly NpgsqlDataSource _db;
    private readonly ILogger<GroupCommit> _logger;
    private readonly Channel<Write> _queue = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { AllowSynchronousContinuations = false });
    private readonly Task[] _writers;

    public GroupCommit(NpgsqlDataSource db, ILogger<GroupCommit> logger)
    {
        (_db, _logger) = (db, logger);
        _writers = Enumerable.Range(0, Writers).Select(_ => Task.Run(WriteLoopAsync)).ToArray();
    }

    /// <summary>Runs the statements in a shared transaction; the answer is each statement's affected row count, after the commit.</summary>
    public Task<int[]> WriteAsync(params NpgsqlBatchCommand[] statements)
    {
        var write = new Write(statements, new TaskCompletionSource<int[]>(TaskCreationOptions.RunContinuationsAsynchronously), Stopwatch.GetTimestamp());
        if (!_queue.Writer.TryWrite(write))
            throw new ObjectDisposedException(nameof(GroupCommit));
        return write.Done.Task;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Write>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            var statements = 0;
            while (statements < MaxStatements && _queue.Reader.TryRead(out var write))
            {
                batch.Add(write);
                statements += write.Statements.Length;
            }
            if (batch.Count == 0)
                continue;
            try
            {
                await CommitAsync(batch);
                foreach (var write in batch)
                    write.Done.TrySetResult(write.Statements.Select(s => s.RecordsAffected).ToArray());
            }
            catch (Exception e) when (batch.Count > 1 && e is NpgsqlException or InvalidOperationException)
            {
                // One bad write must not fail its neighbours: each goes again in a transaction of its own.
                LogBatchFailed(_logger, batch.Count, e.Message);
                foreach (var write in batch)
                    await CommitAloneAsync(write);
            }
            catch (Exception e)
            {
                foreach (var write in batch)
                    write.Done.TrySetException(e);
            }
            batch.Clear();
        }
    }

    private async Task CommitAloneAsync(Write write)
    {
        try
        {
            await CommitAsync([write]);
            write.Done.TrySetResult(write.Statements.Select(s => s.RecordsAffected).ToArray());
        }
        catch (Exception e)
        {
            write.Done.TrySetException(e);
        }
    }

    private async Task CommitAsync(List<Write> writes)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var write in writes)
            CrmMetrics.CommitWait.Record(Stopwatch.GetElapsedTime(write.Queued, started).TotalMilliseconds);
        await using var connection = await _db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using var batch = new NpgsqlBatch(connection, tx);
        foreach (var statement in writes.SelectMany(w => w.Statements))
            batch.BatchCommands.Add(statement);
        try
        {
            await batch.ExecuteNonQueryAsync();
            await tx.CommitAsync();
        }
        finally
        {
            // The statements go into a batch of their own if this one failed.
            batch.BatchCommands.Clear();
        }
        CrmMetrics.WritesPerCommit.Record(writes.Count);
        CrmMetrics.StatementsPerCommit.Record(writes.Sum(w => w.Statements.Length));
        CrmMetrics.CommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_writers);
    }

    private sealed record Write(NpgsqlBatchCommand[] Statements, TaskCompletionSource<int[]> Done, long Queued);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A group commit of {Writes} writes failed ({Error}); committing each alone")]
    private static partial void LogBatchFailed(ILogger logger, int writes, string error);
}
