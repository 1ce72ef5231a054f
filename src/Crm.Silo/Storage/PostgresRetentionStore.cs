using Crm.Grains;
using Npgsql;

namespace Crm.Silo;

/// <summary>
/// Deletes expired rows a batch per statement (and per commit), found through the (tenant_id, created_at)
/// indexes, so each statement locks at most one batch of rows and live inserts and reads never wait long.
/// </summary>
internal sealed class PostgresRetentionStore(NpgsqlDataSource db) : IRetentionStore
{
    public Task<long> DeleteMessagesAsync(string tenantId, DateTimeOffset before, int batchSize) =>
        DeleteInBatchesAsync("messages", "chat_id, seq", tenantId, before, batchSize);

    /// <remarks>The outer condition is checked again on the locked row, so a message arriving meanwhile keeps its preview.</remarks>
    public async Task<IReadOnlyList<(string ClientId, long Seq)>> ClearExpiredPreviewsAsync(string tenantId, DateTimeOffset before, int batchSize)
    {
        await using var cmd = db.CreateCommand("""
            update chats set last_message = null
            where tenant_id = @tenant and last_message is not null and last_message_at < @before and chat_id in (
                select chat_id from chats
                where tenant_id = @tenant and last_message is not null and last_message_at < @before limit @batch)
            returning client_id, last_seq
            """);
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("before", before);
        cmd.Parameters.AddWithValue("batch", batchSize);
        var cleared = new List<(string, long)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            cleared.Add((reader.GetString(0), reader.GetInt64(1)));
        return cleared;
    }

    public Task<long> DeleteAttachmentsAsync(string tenantId, DateTimeOffset before, int batchSize) =>
        DeleteInBatchesAsync("attachments", "id", tenantId, before, batchSize);

    /// <remarks>
    /// Rows are picked by key, not by ctid: a row updated while the batch runs (a delivery status arriving) gets a new
    /// ctid, and a ctid match would silently skip it and end the pass early.
    /// </remarks>
    private async Task<long> DeleteInBatchesAsync(string table, string key, string tenantId, DateTimeOffset before, int batchSize)
    {
        long total = 0;
        while (true)
        {
            await using var cmd = db.CreateCommand($"""
                delete from {table} where tenant_id = @tenant and created_at < @before and ({key}) in (
                    select {key} from {table} where tenant_id = @tenant and created_at < @before limit @batch)
                """);
            cmd.Parameters.AddWithValue("tenant", tenantId);
            cmd.Parameters.AddWithValue("before", before);
            cmd.Parameters.AddWithValue("batch", batchSize);
            var deleted = await cmd.ExecuteNonQueryAsync();
            total += deleted;
            if (deleted < batchSize)
                return total;
        }
    }
}
