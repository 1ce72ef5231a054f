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
        DeleteInBatchesAsync("messages", tenantId, before, batchSize);

    public Task<long> DeleteAttachmentsAsync(string tenantId, DateTimeOffset before, int batchSize) =>
        DeleteInBatchesAsync("attachments", tenantId, before, batchSize);

    private async Task<long> DeleteInBatchesAsync(string table, string tenantId, DateTimeOffset before, int batchSize)
    {
        long total = 0;
        while (true)
        {
            await using var cmd = db.CreateCommand($"""
                delete from {table} where ctid = any(array(
                    select ctid from {table} where tenant_id = @tenant and created_at < @before limit @batch))
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
