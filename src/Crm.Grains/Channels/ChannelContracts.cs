namespace Crm.Grains;

/// <summary>
/// Where channel adapters hand over what a provider told us. Each method returns only once the
/// item is durable, so a webhook may answer 2xx right after it.
/// </summary>
public interface IInboundGateway
{
    /// <summary>Enqueues a message a client sent us (the durable <c>inbound</c> stream, keyed by its contact).</summary>
    Task AcceptMessageAsync(InboundMessage message);

    /// <summary>Applies a delivery status report to the message it concerns; unknown provider ids are ignored.</summary>
    Task AcceptStatusAsync(StatusReport report);
}

/// <summary>A provider's report that one of our outbound messages moved on (sent, delivered, read, failed...).</summary>
[GenerateSerializer, Immutable]
public sealed record StatusReport
{
    [Id(0)] public string TenantId { get; init; } = "";
    [Id(1)] public Transport Transport { get; init; }
    [Id(2)] public string ProviderMessageId { get; init; } = "";
    [Id(3)] public MessageStatus Status { get; init; }
    [Id(4)] public DateTimeOffset At { get; init; }
    [Id(5)] public string? ErrorCode { get; init; }

    /// <summary>Our message id when the provider echoes it back (e.g. in a status-callback URL).</summary>
    [Id(6)] public string? MessageId { get; init; }
}

/// <summary>Everything a channel adapter needs to deliver one outbound message.</summary>
[GenerateSerializer, Immutable]
public sealed record OutboundEnvelope
{
    [Id(0)] public string TenantId { get; init; } = "";
    [Id(1)] public string ChatId { get; init; } = "";
    [Id(2)] public string ClientId { get; init; } = "";
    [Id(3)] public string MessageId { get; init; } = "";
    [Id(4)] public long Seq { get; init; }
    [Id(5)] public Transport Transport { get; init; }

    /// <summary>The client's address on that transport: E.164 phone, email address, Telegram chat id, Instagram id, visitor id.</summary>
    [Id(6)] public string To { get; init; } = "";
    [Id(7)] public string Text { get; init; } = "";
    [Id(8)] public IReadOnlyList<AttachmentRef> Attachments { get; init; } = [];

    /// <summary>Facts of the conversation the adapter may use, e.g. the Message-Id and References of the client's last email.</summary>
    [Id(9)] public IReadOnlyDictionary<string, string> Thread { get; init; } = new Dictionary<string, string>();
    [Id(10)] public int Attempt { get; init; }
}

public enum SendOutcomeKind { Sent, Retry, Failed }

/// <summary>What came of one delivery attempt.</summary>
[GenerateSerializer, Immutable]
public sealed record SendOutcome
{
    [Id(0)] public SendOutcomeKind Kind { get; init; }
    [Id(1)] public string? ProviderMessageId { get; init; }

    /// <summary>The status the provider reports at once (Twilio answers queued/accepted; Telegram and SMTP answer sent).</summary>
    [Id(2)] public MessageStatus Status { get; init; } = MessageStatus.Sent;
    [Id(3)] public string? ErrorCode { get; init; }
    [Id(4)] public string? ErrorMessage { get; init; }
    [Id(5)] public TimeSpan? RetryAfter { get; init; }

    /// <summary>Provider facts to remember for the thread (e.g. the Message-Id we gave an email).</summary>
    [Id(6)] public IReadOnlyDictionary<string, string> Thread { get; init; } = new Dictionary<string, string>();

    public static SendOutcome Sent(string? providerMessageId, MessageStatus status = MessageStatus.Sent) =>
        new() { Kind = SendOutcomeKind.Sent, ProviderMessageId = providerMessageId, Status = status };

    public static SendOutcome Retry(string errorCode, string? message = null, TimeSpan? after = null) =>
        new() { Kind = SendOutcomeKind.Retry, ErrorCode = errorCode, ErrorMessage = message, RetryAfter = after };

    public static SendOutcome Failed(string errorCode, string? message = null) =>
        new() { Kind = SendOutcomeKind.Failed, Status = MessageStatus.Failed, ErrorCode = errorCode, ErrorMessage = message };
}

/// <summary>Delivers outbound messages to providers. Implemented in Crm.Providers, one adapter per provider.</summary>
public interface IChannelSender
{
    Task<SendOutcome> SendAsync(OutboundEnvelope envelope, CancellationToken cancellationToken);
}

/// <summary>
/// Appends an item to one of the durable streams (<see cref="StreamNames"/>). The task completes once the item
/// is durable; on PostgreSQL appends from many callers share one commit.
/// </summary>
public interface IStreamAppender
{
    Task AppendAsync<T>(StreamId stream, T item);

    /// <summary>
    /// Deletes what the tenant's stream queues and dead letters still hold about the subjects: the events about a
    /// client (its id) and the inbound messages of a contact (its grain key, <see cref="ContactRules.GrainKey"/>).
    /// </summary>
    Task EraseAsync(string tenantId, IReadOnlyCollection<string> subjects);

    /// <summary>
    /// Whether a stream item's row is still in its queue. It stays there until the item's delivery is done, so while a
    /// subscriber handles the item, a missing row means an erasure deleted it (<see cref="EraseAsync"/>).
    /// </summary>
    Task<bool> IsQueuedAsync(string provider, QueuedRow row);
}

/// <summary>The row of a queue a stream item came from (its provider is the stream's).</summary>
[GenerateSerializer, Immutable]
public sealed record QueuedRow
{
    [Id(0)] public int Queue { get; init; }
    [Id(1)] public long RowId { get; init; }
}

/// <summary>A stream sequence token that names the queue row of its item.</summary>
public interface IQueuedItemToken
{
    QueuedRow Row { get; }
}
