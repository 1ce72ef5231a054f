using System.Text.Json.Serialization;

namespace Crm.Grains;

/// <summary>Who sent a message: a user of the tenant, the client, or an external source.</summary>
[GenerateSerializer, Immutable]
public sealed record Sender
{
    [Id(0)] public SenderType Type { get; init; }
    [Id(1)] public string? UserId { get; init; }
    [Id(2)] public string? ClientId { get; init; }
    [Id(3)] public string? Address { get; init; }
    [Id(4)] public string? DisplayName { get; init; }
}

/// <summary>A reference from a message to a file stored separately.</summary>
[GenerateSerializer, Immutable]
public sealed record AttachmentRef
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public string? FileName { get; init; }
    [Id(2)] public string? ContentType { get; init; }
    [Id(3)] public long? Size { get; init; }
    [Id(4)] public string? Url { get; init; }
}

/// <summary>One message of a chat. Content (text, sender, transport, attachments) never changes after creation.</summary>
[GenerateSerializer, Immutable]
public sealed record ChatMessage
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public string ChatId { get; init; } = "";
    [Id(2)] public long Seq { get; init; }
    [Id(3)] public MessageDirection Direction { get; init; }
    [Id(4)] public string Text { get; init; } = "";
    [Id(5)] public Transport Transport { get; init; }
    [Id(6)] public Sender Sender { get; init; } = new();
    [Id(7)] public IReadOnlyList<AttachmentRef> Attachments { get; init; } = [];
    [Id(8)] public MessageStatus Status { get; init; }
    [Id(9)] public string? ErrorCode { get; init; }
    [Id(10)] public DateTimeOffset CreatedAt { get; init; }
    [Id(11)] public DateTimeOffset? SentAt { get; init; }
    [Id(12)] public DateTimeOffset? DeliveredAt { get; init; }
    [Id(13)] public DateTimeOffset? ReadAt { get; init; }
    [Id(14)] public string? ProviderMessageId { get; init; }
    [Id(15)] public string? IdempotencyKey { get; init; }
    [Id(16)] public string? TemplateId { get; init; }

    /// <summary>How many inbound messages the chat held up to and including this one; unread counts are differences of it.</summary>
    [Id(17), JsonIgnore] public long InboundCount { get; init; }
}

/// <summary>What an agent asks to send.</summary>
[GenerateSerializer, Immutable]
public sealed record OutgoingMessage
{
    [Id(0)] public string? Text { get; init; }
    [Id(1)] public Transport? Transport { get; init; }
    [Id(2)] public string? TemplateId { get; init; }
    [Id(3)] public IReadOnlyList<AttachmentRef> Attachments { get; init; } = [];
    [Id(4)] public string? IdempotencyKey { get; init; }
}

/// <summary>
/// A message a client sent us, normalised from whichever provider carried it. Every string is kept without the
/// characters <see cref="TextInput"/> refuses, however the record is made (a parser, a stream's JSON, a replay):
/// the provider already delivered the message, so it is cleaned rather than refused, and it never fails the
/// commit it rides in.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record InboundMessage
{
    [Id(0)] public string TenantId { get; init; } = "";
    [Id(1)] public Transport Transport { get; init; }
    [Id(2)] public string Provider { get; init => field = TextInput.Strip(value); } = "";
    [Id(3)] public string ProviderMessageId { get; init => field = TextInput.Strip(value); } = "";
    [Id(4)] public Sender Sender { get; init => field = InboundCleaning.Clean(value); } = new();
    [Id(5)] public string Text { get; init => field = TextInput.Strip(value); } = "";
    [Id(6)] public IReadOnlyList<AttachmentRef> Attachments { get; init => field = InboundCleaning.Clean(value); } = [];
    [Id(7)] public DateTimeOffset? ProviderTimestamp { get; init; }

    /// <summary>The contact the message came from, normalised; it routes the message to its client.</summary>
    [Id(8)] public ContactType ContactType { get; init; }

    [Id(9)] public string ContactValue { get; init => field = TextInput.Strip(value); } = "";

    /// <summary>Provider facts worth keeping: email Message-Id, Subject, In-Reply-To; the Telegram chat id; a WhatsApp profile name.</summary>
    [Id(10)] public IReadOnlyDictionary<string, string> Metadata { get; init => field = InboundCleaning.Clean(value); } = new Dictionary<string, string>();
}

/// <summary>A call or out-of-band exchange an agent records on the chat.</summary>
[GenerateSerializer, Immutable]
public sealed record LoggedMessage
{
    [Id(0)] public Transport Transport { get; init; } = Transport.Phone;
    [Id(1)] public MessageDirection Direction { get; init; }
    [Id(2)] public string Text { get; init; } = "";
}
