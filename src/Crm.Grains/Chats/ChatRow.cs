namespace Crm.Grains;

/// <summary>
/// The chat's row in <c>chats</c>, as the chat grain keeps it in memory: the table is the truth, the grain caches it
/// and writes it whole with every change that moves it.
/// </summary>
public sealed record ChatRow
{
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? LastMessageAt { get; init; }
    public long LastSeq { get; init; }

    /// <summary>How many inbound messages the chat holds; unread counts are differences of it.</summary>
    public long InboundCount { get; init; }
    public MessagePreview? LastMessage { get; init; }
    public IReadOnlyList<Member> Members { get; init; } = [];
    public Transport? LastInboundTransport { get; init; }

    /// <summary>Where the client last wrote from on each transport: the address replies go to.</summary>
    public IReadOnlyDictionary<Transport, string> LastInboundFrom { get; init; } = NoAddresses;

    /// <summary>Threading facts of the client's last message and of our last email (Message-Id, References, Subject).</summary>
    public IReadOnlyDictionary<string, string> Thread { get; init; } = NoThread;

    public static IReadOnlyDictionary<Transport, string> NoAddresses => SmallMap<Transport, string>.Empty;
    public static IReadOnlyDictionary<string, string> NoThread => SmallMap<string, string>.Empty;

    /// <summary>The row once <paramref name="message"/> is the chat's newest.</summary>
    public ChatRow After(ChatMessage message) => this with
    {
        LastSeq = message.Seq,
        InboundCount = message.InboundCount,
        LastMessageAt = message.CreatedAt,
        LastMessage = MessagePreview.Of(message),
    };
}

/// <summary>How far one user has read a chat (a row of <c>chat_reads</c>).</summary>
public sealed record ReadHorizon
{
    public long Seq { get; init; }
    public long InboundCount { get; init; }
    public DateTimeOffset At { get; init; }
}

/// <summary>
/// An outbound message in the outbox (the columns <c>attempts</c>, <c>next_attempt_at</c>, <c>in_flight</c> of its row).
/// While <see cref="InFlight"/>, a delivery worker has it and <see cref="NextAttemptAt"/> is the deadline of its report:
/// a message still in flight then has an unknown outcome and is marked failed ("interrupted"), never sent again.
/// </summary>
public sealed record OutboxEntry
{
    public long Seq { get; init; }
    public int Attempts { get; init; }
    public DateTimeOffset NextAttemptAt { get; init; }
    public bool InFlight { get; init; }
}
