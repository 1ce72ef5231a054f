using Npgsql;

namespace Crm.Silo;

/// <summary>
/// Stream items that failed every delivery wait in <c>stream_dead_letters</c> with the reason. Once the cause is
/// fixed, an operator puts them back on their queue, where they are delivered like new; the consumers drop what they
/// already have, so replaying twice stores nothing twice.
/// </summary>
public static class StreamDeadLetters
{
    /// <summary>The dead letters of one queue: how many, the oldest death, and how many died of each reason.</summary>
    public sealed record Queue(string Provider, int Number, long Count, DateTimeOffset OldestDeadAt, IReadOnlyList<(string Reason, long Count)> Reasons);

    /// <summary>What a replay would put back, queue by queue, reasons most frequent first.</summary>
    public static async Task<IReadOnlyList<Queue>> ListAsync(string connectionString)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var command = db.CreateCommand("""
            select provider, queue, reason, count(*), min(dead_at) from stream_dead_letters
             group by provider, queue, reason order by provider, queue, count(*) desc, reason
            """);
        var queues = new List<Queue>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var (provider, number, reason, count, oldest) =
                (reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.GetInt64(3), reader.GetFieldValue<DateTimeOffset>(4));
            if (queues is [.., var last] && last.Provider == provider && last.Number == number)
                queues[^1] = last with
                {
                    Count = last.Count + count,
                    OldestDeadAt = oldest < last.OldestDeadAt ? oldest : last.OldestDeadAt,
                    Reasons = [.. last.Reasons, (reason, count)],
                };
            else
                queues.Add(new Queue(provider, number, count, oldest, [(reason, count)]));
        }
        return queues;
    }

    /// <summary>
    /// Moves every dead letter back to its queue, visible at once with its attempts reset, in one statement. Returns
    /// how many went back.
    /// </summary>
    public static async Task<long> ReplayAsync(string connectionString)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var command = db.CreateCommand("""
            with revived as (delete from stream_dead_letters returning *)
            insert into stream_queue (id, provider, queue, stream_namespace, stream_key, tenant_id, subject, payload, attempts, visible_at, created_at)
            select id, provider, queue, stream_namespace, stream_key, tenant_id, subject, payload, 0, now(), created_at from revived
            """);
        return await command.ExecuteNonQueryAsync();
    }
}
