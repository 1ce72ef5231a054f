namespace Crm.Grains;

/// <summary>
/// Everything one change of a chat writes, committed together or not at all: the new or moved message, the chat's
/// row, a read horizon, the audit records and the events that announce it.
/// </summary>
public sealed record ChatChange
{
    public string TenantId { get; init; } = "";
    public string ChatId { get; init; } = "";
    public string ClientId { get; init; } = "";

    /// <summary>The chat's row as it is after the change; null when the change leaves it as it was.</summary>
    public ChatRow? Chat { get; init; }

    /// <summary>A new message. If the chat already holds one with its idempotency key or provider id, nothing is written.</summary>
    public MessageWrite? Inserted { get; init; }

    /// <summary>Messages whose delivery columns or outbox place moved.</summary>
    public IReadOnlyList<MessageWrite> Updated { get; init; } = [];

    /// <summary>A user's new read horizon; it also sets <c>readAt</c> on the inbound messages up to it.</summary>
    public (string UserId, ReadHorizon Horizon)? Read { get; init; }

    public IReadOnlyList<AuditEvent> Audit { get; init; } = [];

    /// <summary>Events for the tenant's <c>events</c> stream.</summary>
    public IReadOnlyList<CrmEvent> Events { get; init; } = [];
}

/// <summary>A message as it now is (status, provider id, delivery times) and its place in the outbox, if any.</summary>
public sealed record MessageWrite(ChatMessage Message, OutboxEntry? Outbox = null);

/// <summary>What a chat loads on activation, in one round trip.</summary>
public sealed record ChatSnapshot
{
    /// <summary>Null when the chat was never created.</summary>
    public ChatRow? Chat { get; init; }
    public IReadOnlyDictionary<string, ReadHorizon> Reads { get; init; } = new Dictionary<string, ReadHorizon>();

    /// <summary>The outbox, by seq.</summary>
    public IReadOnlyList<OutboxEntry> Outbox { get; init; } = [];

    /// <summary>The dedup keys (<see cref="ChatRules.ProviderKey"/>, <see cref="ChatRules.IdempotencyKey"/>) of the newest messages, oldest first.</summary>
    public IReadOnlyList<(string Key, long Seq)> RecentKeys { get; init; } = [];

    /// <summary>Null when the client has no row (never created, or erased).</summary>
    public ClientFacts? Client { get; init; }
}
