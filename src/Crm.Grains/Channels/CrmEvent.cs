namespace Crm.Grains;

/// <summary>
/// One change on a tenant's <c>events</c> stream. The id is stable (the same change always has the
/// same id), so at-least-once consumers can drop repeats.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record CrmEvent
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public string Type { get; init; } = "";
    [Id(2)] public string TenantId { get; init; } = "";
    [Id(3)] public DateTimeOffset At { get; init; }
    [Id(4)] public string? ChatId { get; init; }
    [Id(5)] public string? ClientId { get; init; }
    [Id(6)] public long? Seq { get; init; }
    [Id(7)] public ChatMessage? Message { get; init; }
    [Id(8)] public string? UserId { get; init; }

    public static CrmEvent OfMessage(string type, string tenantId, ChatMessage message, DateTimeOffset at, string? clientId) => new()
    {
        Id = $"{message.ChatId}:{message.Seq}:{type}:{EnumText.Of(message.Status)}",
        Type = type,
        TenantId = tenantId,
        At = at,
        ChatId = message.ChatId,
        ClientId = clientId,
        Seq = message.Seq,
        Message = message,
    };
}

public static class EventTypes
{
    public const string MessageReceived = "message.received";
    public const string MessageQueued = "message.queued";
    public const string MessageStatus = "message.status";
    public const string ChatRead = "chat.read";
}

public static class StreamNames
{
    /// <summary>The stream provider of the events: durable streams on PostgreSQL.</summary>
    public const string Provider = "crm";

    /// <summary>
    /// The stream provider of the inbound messages: the same storage, with implicit subscriptions only. Every sender has
    /// a stream of its own, and explicit pub/sub would activate a rendezvous grain and write its state for each of them;
    /// only the contact grain ever consumes this stream, and it subscribes implicitly.
    /// </summary>
    public const string InboundProvider = "crm-inbound";

    /// <summary>Inbound messages, keyed by contact grain key; consumed by ContactGrain (implicit subscription).</summary>
    public const string Inbound = "inbound";

    /// <summary>Everything subscribers may care about, keyed by tenant id.</summary>
    public const string Events = "events";

    /// <summary>The provider a stream belongs to: <see cref="InboundProvider"/> for inbound messages, else <see cref="Provider"/>.</summary>
    public static string ProviderOf(StreamId stream) => stream.GetNamespace() == Inbound ? InboundProvider : Provider;
}
