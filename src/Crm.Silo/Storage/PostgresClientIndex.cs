using Crm.Grains;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Silo;

internal sealed class PostgresClientIndex(NpgsqlDataSource db, GroupCommit writer) : IClientIndex
{
    public async Task UpsertAsync(string tenantId, ClientProfile profile)
    {
        var cmd = new NpgsqlBatchCommand("""
            insert into clients_index (tenant_id, client_id, first_name, last_name, search_text, doc, created_at, updated_at, deleted_at)
            values (@tenant, @id, @first, @last, @search, @doc::jsonb, @created, @updated, @deleted)
            on conflict (tenant_id, client_id) do update set
                first_name = excluded.first_name, last_name = excluded.last_name, search_text = excluded.search_text,
                doc = excluded.doc, updated_at = excluded.updated_at, deleted_at = excluded.deleted_at
            """);
        var p = cmd.Parameters;
        p.AddWithValue("tenant", tenantId);
        p.AddWithValue("id", profile.Id);
        p.AddWithValue("first", profile.FirstName);
        p.AddWithValue("last", NpgsqlDbType.Text, (object?)profile.LastName ?? DBNull.Value);
        p.AddWithValue("search", ClientRules.SearchText(profile));
        p.AddWithValue("doc", CrmJson.Write(profile));
        p.AddWithValue("created", profile.CreatedAt);
        p.AddWithValue("updated", profile.UpdatedAt);
        p.AddWithValue("deleted", NpgsqlDbType.TimestampTz, (object?)profile.DeletedAt ?? DBNull.Value);
        await writer.WriteAsync(cmd);
    }

    public async Task RemoveAsync(string tenantId, string clientId)
    {
        await using var cmd = db.CreateCommand("delete from clients_index where tenant_id = @tenant and client_id = @id");
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("id", clientId);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task<Page<ClientProfile>> SearchAsync(string tenantId, string? query, int limit, string? cursor)
    {
        await using var cmd = db.CreateCommand("""
            select client_id, doc::text from clients_index
            where tenant_id = @tenant and deleted_at is null and client_id > @cursor
              and (@pattern::text is null or search_text like @pattern)
            order by client_id
            limit @limit
            """);
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("cursor", cursor ?? "");
        cmd.Parameters.AddWithValue("pattern", NpgsqlDbType.Text, ClientRules.SearchNeedle(query) is { } needle ? "%" + EscapeLike(needle) + "%" : DBNull.Value);
        cmd.Parameters.AddWithValue("limit", limit + 1);
        var items = new List<ClientProfile>();
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                items.Add(CrmJson.Read<ClientProfile>(reader.GetString(1)));
        }
        var more = items.Count > limit;
        if (more)
            items.RemoveAt(limit);
        return new Page<ClientProfile> { Items = items, NextCursor = more ? items[^1].Id : null };
    }

    private static string EscapeLike(string text) => text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}
