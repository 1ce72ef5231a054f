namespace Crm.Grains;

/// <summary>The append-only audit trail (table <c>audit_events</c>).</summary>
public interface IAuditLog
{
    Task AppendAsync(AuditEvent entry);
}
