using System.Runtime.CompilerServices;
using Crm.Grains;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Silo;

internal sealed class PostgresAuditLog(NpgsqlDataSource db, GroupCommit writer) : IAuditLog
{
    public Task AppendAsync(AuditEvent e) => writer.WriteAsync(Insert(e));

    /// <summary>The insert of one record, for a store that commits it with the change it records.</summary>
    public static NpgsqlBatchCommand Insert(AuditEvent e)
    {
        var cmd = new NpgsqlBatchCommand("""
            insert into audit_events (tenant_id, at, action, actor_user_id, actor_key_id, subject_type, subject_id, client_id, data)
            values (@tenant, @at, @action, @user, @key, @type, @subject, @client, @data::jsonb)
            """);
        var p = cmd.Parameters;
        p.AddWithValue("tenant", e.TenantId);
        p.AddWithValue("at", e.At);
        p.AddWithValue("action", e.Action);
        p.AddWithValue("user", e.ActorUserId);
        p.AddWithValue("key", e.ActorKeyId);
        p.AddWithValue("type", e.SubjectType);
        p.AddWithValue("subject", e.SubjectId);
        p.AddWithValue("client", NpgsqlDbType.Text, (object?)e.ClientId ?? DBNull.Value);
        p.AddWithValue("data", NpgsqlDbType.Text, (object?)e.Data ?? DBNull.Value);
        return cmd;
    }

    public async IAsyncEnumerable<AuditEvent> ReadAboutClientAsync(string tenantId, string clientId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var cmd = db.CreateCommand($"select {Columns} from audit_events where tenant_id = @tenant and client_id = @client order by id");
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("client", clientId);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            yield return Read(reader, tenantId);
    }

    private const string Columns = "id, at, action, actor_user_id, actor_key_id, subject_type, subject_id, client_id, data::text";

    private static AuditEvent Read(NpgsqlDataReader reader, string tenantId) => new()
    {
        Id = reader.GetInt64(0),
        TenantId = tenantId,
        At = reader.GetFieldValue<DateTimeOffset>(1),
        Action = reader.GetString(2),
        ActorUserId = reader.GetString(3),
        ActorKeyId = reader.GetString(4),
        SubjectType = reader.GetString(5),
        SubjectId = reader.GetString(6),
        ClientId = reader.IsDBNull(7) ? null : reader.GetString(7),
        Data = reader.IsDBNull(8) ? null : reader.GetString(8),
    };

    public async Task<Page<AuditEvent>> ReadAsync(string tenantId, AuditQuery query)
    {
        // Only the filters given go into the statement, so the planner picks the index that fits them.
        var where = new List<string> { "tenant_id = @tenant" };
        await using var cmd = db.CreateCommand();
        cmd.Parameters.AddWithValue("tenant", tenantId);
        if (query.ClientId is { } client)
        {
            where.Add("client_id = @client");
            cmd.Parameters.AddWithValue("client", client);
        }
        if (query.From is { } from)
        {
            where.Add("at >= @from");
            cmd.Parameters.AddWithValue("from", from);
        }
        if (query.To is { } to)
        {
            where.Add("at < @to");
            cmd.Parameters.AddWithValue("to", to);
        }
        if (query.Before is { } before)
        {
            where.Add("id < @before");
            cmd.Parameters.AddWithValue("before", before);
        }
        cmd.Parameters.AddWithValue("take", query.Limit + 1);
        cmd.CommandText = $"select {Columns} from audit_events where {string.Join(" and ", where)} order by id desc limit @take";

        var items = new List<AuditEvent>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            items.Add(Read(reader, tenantId));
        return AuditPaging.Page(items, query.Limit);
    }
}

internal static class AuditPaging
{
    /// <summary>Cuts the one extra row a query fetched to learn whether another page follows.</summary>
    public static Page<AuditEvent> Page(List<AuditEvent> items, int limit)
    {
        var more = items.Count > limit;
        if (more)
            items.RemoveAt(limit);
        return new Page<AuditEvent>
        {
            Items = items,
            NextCursor = more ? items[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
        };
    }
}
