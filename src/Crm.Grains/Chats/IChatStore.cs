namespace Crm.Grains;

/// <summary>
/// Where a chat lives: its row in <c>chats</c>, its read horizons in <c>chat_reads</c>, and its messages (with the
/// outbox as columns) in the append-only <c>messages</c> table. The chat grain loads these once and writes each change
/// as one commit; nothing about a chat is kept anywhere else. It reads what it needs of its client
/// (<see cref="ClientFacts"/>) from the client's rows and never writes them.
/// </summary>
public interface IChatStore
{
    /// <summary>
    /// The chat row, read horizons, outbox, the dedup keys of the newest <paramref name="recentKeys"/> messages and its
    /// client's facts, in one round trip.
    /// </summary>
    Task<ChatSnapshot> LoadAsync(string tenantId, string chatId, string clientId, int recentKeys);

    /// <summary>The facts of the chat's client as its rows hold them now; null when it has no row.</summary>
    Task<ClientFacts?> ReadClientAsync(string tenantId, string clientId);

    /// <summary>
    /// Writes the change in one transaction of the group commit and returns null once it is committed. If its new
    /// message repeats an idempotency key or provider message id the chat already holds, nothing is written and the
    /// message stored first is returned.
    /// </summary>
    Task<ChatMessage?> CommitAsync(ChatChange change);

    Task<ChatMessage?> ReadMessageAsync(string tenantId, string chatId, long seq);

    /// <summary>Up to <paramref name="limit"/> messages in ascending seq, after <paramref name="after"/> or else just before <paramref name="before"/>.</summary>
    Task<IReadOnlyList<ChatMessage>> ReadMessagesAsync(string tenantId, string chatId, long? before, long? after, int limit);

    /// <summary>The chat's running inbound count at the newest message with seq at most <paramref name="seq"/>.</summary>
    Task<long> InboundCountAtAsync(string tenantId, string chatId, long seq);

    /// <summary>Chats of live clients, newest last message first, with the user's unread counts.</summary>
    Task<Page<ChatView>> ListChatsAsync(string tenantId, string userId, bool unreadOnly, Transport? transport, int limit, string? cursor);

    /// <summary>The chat and seq of a message by our id, or by the id its provider gave it.</summary>
    Task<MessageLocation?> LocateAsync(string tenantId, string? messageId, Transport transport, string? providerMessageId);

    /// <summary>Full-text search over the tenant's message history, newest first; messages of a deleted client are left out.</summary>
    Task<Page<ChatMessage>> SearchMessagesAsync(string tenantId, string query, int limit, string? cursor);

    /// <summary>
    /// Deletes the chat for good in one commit: its messages, list row and read horizons, and the attachments its
    /// messages refer to that no other chat's message refers to.
    /// </summary>
    Task<ChatErasure> EraseChatAsync(string tenantId, string chatId);

    /// <summary>
    /// Up to <paramref name="limit"/> chats (tenant and chat id) with an outbox entry due for longer than
    /// <paramref name="overdueFor"/>: an active chat runs its outbox within milliseconds of an entry's time, so such a
    /// chat is not active anywhere.
    /// </summary>
    Task<IReadOnlyList<(string TenantId, string ChatId)>> OverdueOutboxesAsync(TimeSpan overdueFor, int limit);
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
