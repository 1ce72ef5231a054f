namespace Crm.Grains;

[GenerateSerializer, Immutable]
public sealed record Member
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public MemberKind Kind { get; init; }
    [Id(2)] public string? UserId { get; init; }
    [Id(3)] public Transport? Transport { get; init; }
    [Id(4)] public DateTimeOffset CreatedAt { get; init; }
    [Id(5)] public string? ClientId { get; init; }
    [Id(6)] public string? ServiceName { get; init; }
}

[GenerateSerializer, Immutable]
public sealed record MessagePreview
{
    [Id(0)] public long Seq { get; init; }
    [Id(1)] public string Text { get; init; } = "";
    [Id(2)] public MessageDirection Direction { get; init; }
    [Id(3)] public Transport Transport { get; init; }
    [Id(4)] public DateTimeOffset CreatedAt { get; init; }

    public const int MaxTextLength = 200;

    public static MessagePreview Of(ChatMessage m) => new()
    {
        Seq = m.Seq,
        Text = m.Text.Length > MaxTextLength ? m.Text[..MaxTextLength] : m.Text,
        Direction = m.Direction,
        Transport = m.Transport,
        CreatedAt = m.CreatedAt,
    };
}

/// <summary>A chat as one user sees it: the unread count is that user's.</summary>
[GenerateSerializer, Immutable]
public sealed record ChatView
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public string ClientId { get; init; } = "";
    [Id(2)] public DateTimeOffset CreatedAt { get; init; }
    [Id(3)] public DateTimeOffset? LastMessageAt { get; init; }
    [Id(4)] public long UnreadCount { get; init; }
    [Id(5)] public MessagePreview? LastMessage { get; init; }
    [Id(6)] public IReadOnlyList<Member> Members { get; init; } = [];
    [Id(7)] public string? ClientName { get; init; }

    /// <summary>How a chat names its client: first and last name.</summary>
    public static string NameOf(string firstName, string? lastName) => lastName is null ? firstName : $"{firstName} {lastName}";
}

[GenerateSerializer, Immutable]
public sealed record MemberDraft
{
    [Id(0)] public MemberKind Kind { get; init; }
    [Id(1)] public string? UserId { get; init; }
    [Id(2)] public Transport? Transport { get; init; }
    [Id(3)] public string? ServiceName { get; init; }
}
