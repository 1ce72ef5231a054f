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
}
