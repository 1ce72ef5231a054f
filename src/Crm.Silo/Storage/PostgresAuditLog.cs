using System.Runtime.CompilerServices;
using Crm.Grains;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Silo;

internal sealed class PostgresAuditLog(NpgsqlDataSource db, GroupCommit writer) : IAuditLog
{
    public async Task AppendAsync(AuditEvent e) => await writer.WriteAsync(Insert(e));

    /// <summary>The insert of one audit record, for a store that writes it in the commit of the change it records.</summary>
    /// <remarks>Its parameters are positional: Npgsql sends such a statement as it is, where named ones make it parse the SQL each time.</remarks>
    internal static NpgsqlBatchCommand Insert(AuditEvent e) => WithValues(new NpgsqlBatchCommand("""
        insert into audit_events (tenant_id, at, action, actor_user_id, actor_key_id, subject_type, subject_id, client_id, data)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
        """), e, named: false);

    /// <summary>
    /// The insert of one audit record that happens only where <paramref name="condition"/> holds when it runs, for a
    /// change that may turn out not to apply within its commit. The caller adds the condition's parameters, named
    /// apart from the record's (@tenant, @at, @action, @user, @key, @type, @subject, @client, @data).
    /// </summary>
    internal static NpgsqlBatchCommand InsertIf(AuditEvent e, string condition) => WithValues(new NpgsqlBatchCommand($"""
        insert into audit_events (tenant_id, at, action, actor_user_id, actor_key_id, subject_type, subject_id, client_id, data)
        select @tenant, @at, @action, @user, @key, @type, @subject, @client, @data::jsonb
        where {condition}
        """), e, named: true);

    /// <summary>The record's values in column order, named as <see cref="InsertIf"/> documents or positional.</summary>
    private static NpgsqlBatchCommand WithValues(NpgsqlBatchCommand cmd, AuditEvent e, bool named)
    {
        var p = cmd.Parameters;
        void Add(string name, object value, NpgsqlDbType type) =>
            p.Add(named ? new NpgsqlParameter(name, type) { Value = value } : new NpgsqlParameter { NpgsqlDbType = type, Value = value });
        Add("tenant", e.TenantId, NpgsqlDbType.Text);
        Add("at", e.At, NpgsqlDbType.TimestampTz);
        Add("action", e.Action, NpgsqlDbType.Text);
        Add("user", e.ActorUserId, NpgsqlDbType.Text);
        Add("key", e.ActorKeyId, NpgsqlDbType.Text);
        Add("type", e.SubjectType, NpgsqlDbType.Text);
        Add("subject", e.SubjectId, NpgsqlDbType.Text);
        Add("client", (object?)e.ClientId ?? DBNull.Value, NpgsqlDbType.Text);
        Add("data", (object?)e.Data ?? DBNull.Value, NpgsqlDbType.Text);
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
