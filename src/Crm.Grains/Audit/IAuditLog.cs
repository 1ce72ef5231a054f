namespace Crm.Grains;

/// <summary>The append-only audit trail (table <c>audit_events</c>).</summary>
public interface IAuditLog
{
    Task AppendAsync(AuditEvent entry);

    /// <summary>The records about one client, oldest first, read as they are consumed.</summary>
    IAsyncEnumerable<AuditEvent> ReadAboutClientAsync(string tenantId, string clientId, CancellationToken cancellationToken = default);

    /// <summary>The tenant's events matching the query, newest first; the cursor is the last id served.</summary>
    Task<Page<AuditEvent>> ReadAsync(string tenantId, AuditQuery query);
}

/// <summary>A filter over the audit trail: <c>From</c> inclusive, <c>To</c> exclusive, <c>Before</c> an audit id (the cursor).</summary>
[GenerateSerializer, Immutable]
public sealed record AuditQuery
{
    [Id(0)] public string? ClientId { get; init; }
    [Id(1)] public DateTimeOffset? From { get; init; }
    [Id(2)] public DateTimeOffset? To { get; init; }
    [Id(3)] public long? Before { get; init; }
    [Id(4)] public int Limit { get; init; } = Paging.DefaultLimit;
}
