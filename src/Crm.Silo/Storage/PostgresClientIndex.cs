using Crm.Grains;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Silo;

/// <summary>Client search over the clients' own rows (<see cref="ClientRows"/>): no projection to keep in step.</summary>
internal sealed class PostgresClientIndex(NpgsqlDataSource db) : IClientIndex
{
    public async Task<Page<ClientProfile>> SearchAsync(string tenantId, string? query, int limit, string? cursor)
    {
        await using var cmd = db.CreateCommand($"""
            {ClientRows.Select}
            where c.tenant_id = @tenant and c.deleted_at is null and c.client_id > @cursor
              and (@pattern::text is null or c.search_text like @pattern)
            order by c.client_id
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
                items.Add(ClientRows.Read(reader));
        }
        var more = items.Count > limit;
        if (more)
            items.RemoveAt(limit);
        return new Page<ClientProfile> { Items = items, NextCursor = more ? items[^1].Id : null };
    }

    private static string EscapeLike(string text) => text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}
