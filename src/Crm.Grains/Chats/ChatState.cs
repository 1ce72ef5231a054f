namespace Crm.Grains;

[GenerateSerializer]
public sealed class ReadHorizon
{
    [Id(0)] public long Seq { get; set; }
    [Id(1)] public long InboundCount { get; set; }
    [Id(2)] public DateTimeOffset At { get; set; }
}

[GenerateSerializer]
public sealed class ChatState
{
    [Id(0)] public bool Created { get; set; }
    [Id(1)] public DateTimeOffset CreatedAt { get; set; }
    [Id(2)] public long LastSeq { get; set; }
    [Id(3)] public long InboundCount { get; set; }
    [Id(4)] public DateTimeOffset? LastMessageAt { get; set; }
    [Id(5)] public MessagePreview? LastMessage { get; set; }
    [Id(6)] public List<Member> Members { get; set; } = [];
    [Id(7)] public Dictionary<string, ReadHorizon> ReadHorizons { get; set; } = [];

    /// <summary>Recent idempotency keys and provider message ids, each to the seq it produced; the table's unique indexes back them up.</summary>
    [Id(8)] public Dictionary<string, long> RecentKeys { get; set; } = [];
    [Id(9)] public Transport? LastInboundTransport { get; set; }

    /// <summary>Outbound messages stored but not yet handed to their provider, oldest first.</summary>
    [Id(10)] public List<OutboxEntry> Outbox { get; set; } = [];

    /// <summary>Where the client last wrote from on each transport: the address replies go to.</summary>
    [Id(11)] public Dictionary<Transport, string> LastInboundFrom { get; set; } = [];

    /// <summary>Threading facts of the client's last message (email Message-Id, References, Subject).</summary>
    [Id(12)] public Dictionary<string, string> Thread { get; set; } = [];
}

[GenerateSerializer]
public sealed class OutboxEntry
{
    [Id(0)] public long Seq { get; set; }
    [Id(1)] public int Attempts { get; set; }
    [Id(2)] public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>Set just before the provider is called: after a crash it means the outcome is unknown.</summary>
    [Id(3)] public bool InFlight { get; set; }
}
