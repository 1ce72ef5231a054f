using System.Runtime.CompilerServices;
using Crm.Grains;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Silo;

internal sealed class PostgresAuditLog(NpgsqlDataSource db) : IAuditLog
{
    public async Task AppendAsync(AuditEvent e)
    {
        await using var cmd = db.CreateCommand("""
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
        await cmd.ExecuteNonQueryAsync();
    }

    public async IAsyncEnumerable<AuditEvent> ReadAboutClientAsync(string tenantId, string clientId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var cmd = db.CreateCommand("""
            select at, action, actor_user_id, actor_key_id, subject_type, subject_id, client_id, data::text
            from audit_events where tenant_id = @tenant and client_id = @client order by id
            """);
        cmd.Parameters.AddWithValue("tenant", tenantId);
        cmd.Parameters.AddWithValue("client", clientId);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            yield return new AuditEvent
            {
                TenantId = tenantId,
                At = reader.GetFieldValue<DateTimeOffset>(0),
                Action = reader.GetString(1),
                ActorUserId = reader.GetString(2),
                ActorKeyId = reader.GetString(3),
                SubjectType = reader.GetString(4),
                SubjectId = reader.GetString(5),
                ClientId = reader.IsDBNull(6) ? null : reader.GetString(6),
                Data = reader.IsDBNull(7) ? null : reader.GetString(7),
            };
    }
}
