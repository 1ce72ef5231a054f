using Npgsql;

namespace Crm.Silo;

/// <summary>
/// Stream messages that failed every delivery attempt (or outlived their expiry) wait in the dead-letter table.
/// Once the cause is fixed, an operator puts them back on their queue, where the stream delivers them like new;
/// the consumers drop what they already have, so replaying twice stores nothing twice.
/// </summary>
public static class StreamDeadLetters
{
    /// <summary>Dead letters per queue of the service, with the oldest death: what a replay would put back.</summary>
    public static async Task<IReadOnlyList<(string Queue, long Count, DateTimeOffset OldestDeadOn)>> ListAsync(string connectionString, string serviceId)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var command = db.CreateCommand("""
            select queueid, count(*), min(deadon) from orleansstreamdeadletter
             where serviceid = $1 and payload is not null group by queueid order by queueid
            """);
        command.Parameters.AddWithValue(serviceId);
        var queues = new List<(string, long, DateTimeOffset)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            queues.Add((reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2)));
        return queues;
    }

    /// <summary>
    /// Moves every dead letter of the service that still has its payload back to its queue, visible at once with a
    /// fresh attempt count and expiry, in one statement. Returns how many went back.
    /// </summary>
    public static async Task<long> ReplayAsync(string connectionString, string serviceId)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        await using var command = db.CreateCommand("""
            with revived as (
                delete from orleansstreamdeadletter where serviceid = $1 and payload is not null
                returning serviceid, providerid, queueid, messageid, createdon, payload)
            insert into orleansstreammessage (serviceid, providerid, queueid, messageid, dequeued, visibleon, expireson, createdon, modifiedon, payload)
            select serviceid, providerid, queueid, messageid, 0, now(), now() + $2, createdon, now(), payload from revived
            """);
        command.Parameters.AddWithValue(serviceId);
        command.Parameters.AddWithValue(CrmSiloExtensions.StreamExpiry);
        return await command.ExecuteNonQueryAsync();
    }
}
