namespace Crm.Grains;

/// <summary>Where a chat's history lives: the append-only <c>messages</c> table and the chat list projection.</summary>
public interface IChatStore
{
    /// <summary>
    /// Stores a new message and the chat's list row in one commit. If the chat already holds a message
    /// with the same idempotency key or provider message id, nothing is written and that message is returned.
    /// </summary>
    Task<ChatMessage> AppendAsync(string tenantId, ChatMessage message, ChatSummary summary);

    Task UpsertChatAsync(ChatSummary summary);

    /// <summary>The newest stored message of the chat, or null when it has none.</summary>
    Task<ChatMessage?> ReadLastAsync(string tenantId, string chatId);

    Task<ChatMessage?> ReadMessageAsync(string tenantId, string chatId, long seq);

    /// <summary>Up to <paramref name="limit"/> messages in ascending seq, after <paramref name="after"/> or else just before <paramref name="before"/>.</summary>
    Task<IReadOnlyList<ChatMessage>> ReadMessagesAsync(string tenantId, string chatId, long? before, long? after, int limit);

    /// <summary>The chat's running inbound count at the newest message with seq at most <paramref name="seq"/>.</summary>
    Task<long> InboundCountAtAsync(string tenantId, string chatId, long seq);

    /// <summary>Records the user's read horizon and sets <c>readAt</c> on inbound messages up to the seq.</summary>
    Task MarkReadAsync(string tenantId, string chatId, string userId, long upToSeq, long inboundCount, DateTimeOffset at);

    /// <summary>Chats of live clients, newest last message first, with the user's unread counts.</summary>
    Task<Page<ChatView>> ListChatsAsync(string tenantId, string userId, bool unreadOnly, Transport? transport, int limit, string? cursor);

    /// <summary>Moves a message's delivery columns; null arguments leave a column as it is.</summary>
    Task UpdateDeliveryAsync(string tenantId, string chatId, long seq, MessageStatus status, string? errorCode, string? providerMessageId,
        DateTimeOffset? sentAt, DateTimeOffset? deliveredAt, DateTimeOffset? readAt);

    /// <summary>The chat and seq of a message by our id, or by the id its provider gave it.</summary>
    Task<MessageLocation?> LocateAsync(string tenantId, string? messageId, Transport transport, string? providerMessageId);

    /// <summary>Full-text search over the tenant's message history, newest first.</summary>
    Task<Page<ChatMessage>> SearchMessagesAsync(string tenantId, string query, int limit, string? cursor);

    /// <summary>
    /// Deletes the chat for good in one commit: its messages, list row and read horizons, and the attachments its
    /// messages refer to that no other chat's message refers to.
    /// </summary>
    Task<ChatErasure> EraseChatAsync(string tenantId, string chatId);
}

[GenerateSerializer, Immutable]
public sealed record ChatErasure
{
    [Id(0)] public long Messages { get; init; }
    [Id(1)] public long Attachments { get; init; }
}

[GenerateSerializer, Immutable]
public sealed record MessageLocation
{
    [Id(0)] public string ClientId { get; init; } = "";
    [Id(1)] public long Seq { get; init; }
}
