namespace Crm.Grains;

/// <summary>
/// A client's rows: its client row, which holds everything the client knows, and its contact rows, which record that
/// it owns those values. <c>ClientGrain</c> reads them on activation and changes them one commit per change.
/// </summary>
public interface IClientStore
{
    /// <summary>The client with its contacts in the order they were added, or null when it has no row.</summary>
    Task<StoredClient?> ReadAsync(string tenantId, string clientId);

    /// <summary>The id of the client that owns the contact value, or null.</summary>
    Task<string?> OwnerAsync(string tenantId, ContactType type, string value);

    /// <summary>
    /// One commit: the client row as the change leaves it (created at version 1), the contact values it claims and
    /// frees, and its audit record. False, with nothing of it written, when another client owns a value it claims or
    /// the row is no longer at the version before <see cref="ClientChange.Version"/>.
    /// </summary>
    Task<bool> WriteAsync(ClientChange change);

    /// <summary>Frees every contact value of the client: the first step of an erasure.</summary>
    Task ReleaseContactsAsync(string tenantId, string clientId);

    /// <summary>One commit: the client row and any contact row left go, and the erasure's audit record is written.</summary>
    Task EraseAsync(string tenantId, string clientId, AuditEvent audit);
}

/// <summary>A client as its row holds it, and the number of changes it has seen.</summary>
public sealed record StoredClient(ClientProfile Profile, long Version);

/// <summary>One change of a client: what its row becomes, which contact rows come and go, and the audit record.</summary>
public sealed record ClientChange
{
    public required string TenantId { get; init; }
    public required ClientProfile Profile { get; init; }

    /// <summary>The row's version after the change; 1 creates the row.</summary>
    public required long Version { get; init; }

    public IReadOnlyList<Contact> Claimed { get; init; } = [];
    public IReadOnlyList<Contact> Released { get; init; } = [];
    public required AuditEvent Audit { get; init; }
}
