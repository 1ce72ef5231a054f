namespace Crm.Grains;

/// <summary>The append-only audit trail (table <c>audit_events</c>).</summary>
public interface IAuditLog
{
    Task AppendAsync(AuditEvent entry);

    /// <summary>The records about one client, oldest first, read as they are consumed.</summary>
    IAsyncEnumerable<AuditEvent> ReadAboutClientAsync(string tenantId, string clientId, CancellationToken cancellationToken = default);
}
