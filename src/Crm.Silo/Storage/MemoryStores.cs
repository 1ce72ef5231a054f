using Crm.Grains;

namespace Crm.Silo;

/// <summary>The stores of <c>--memory</c> mode: one process, nothing kept after it stops.</summary>
internal sealed class MemoryChatStore : IChatStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Tenant, string Chat), List<ChatMessage>> _messages = [];
    private readonly Dictionary<(string Tenant, string Chat), ChatSummary> _chats = [];
    private readonly Dictionary<(string Tenant, string Chat, string User), long> _reads = [];
    private readonly MemoryClientIndex _clients;
    private readonly MemoryAttachmentStore _files;

    public MemoryChatStore(MemoryClientIndex clients, MemoryAttachmentStore files) => (_clients, _files) = (clients, files);

    public Task<ChatErasure> EraseChatAsync(string tenantId, string chatId)
    {
        lock (_gate)
        {
            var messages = _messages.Remove((tenantId, chatId), out var list) ? list : [];
            _chats.Remove((tenantId, chatId));
            foreach (var read in _reads.Keys.Where(k => k.Tenant == tenantId && k.Chat == chatId).ToList())
                _reads.Remove(read);
            var stillUsed = _messages.Where(m => m.Key.Tenant == tenantId).SelectMany(m => m.Value).SelectMany(m => m.Attachments).Select(a => a.Id).ToHashSet();
            var files = messages.SelectMany(m => m.Attachments).Select(a => a.Id).Distinct().Where(id => !stillUsed.Contains(id)).ToList();
            return Task.FromResult(new ChatErasure { Messages = messages.Count, Attachments = _files.Remove(tenantId, files) });
        }
    }

    public Task<ChatMessage> AppendAsync(string tenantId, ChatMessage message, ChatSummary summary)
    {
        lock (_gate)
        {
            var list = Messages(tenantId, message.ChatId);
            var duplicate = list.FirstOrDefault(m =>
                (message.IdempotencyKey is not null && m.IdempotencyKey == message.IdempotencyKey) ||
                (message.ProviderMessageId is not null && m.Transport == message.Transport && m.ProviderMessageId == message.ProviderMessageId));
            if (duplicate is not null)
                return Task.FromResult(duplicate);
            if (list.Count > 0 && list[^1].Seq >= message.Seq)
                throw new InvalidOperationException($"Seq {message.Seq} of chat {message.ChatId} is taken by another message.");
            list.Add(message);
            _chats[(tenantId, message.ChatId)] = summary;
            return Task.FromResult(message);
        }
    }

    public long DeleteBefore(string tenantId, DateTimeOffset before)
    {
        lock (_gate)
            return _messages.Where(p => p.Key.Tenant == tenantId).Sum(p => (long)p.Value.RemoveAll(m => m.CreatedAt < before));
    }

    public Task UpsertChatAsync(ChatSummary summary)
    {
        lock (_gate)
        {
            var key = (summary.TenantId, summary.ChatId);
            _chats[key] = _chats.TryGetValue(key, out var old) && old.LastSeq > summary.LastSeq ? old with { Members = summary.Members } : summary;
        }
        return Task.CompletedTask;
    }

    public Task<ChatMessage?> ReadLastAsync(string tenantId, string chatId)
    {
        lock (_gate)
            return Task.FromResult(Messages(tenantId, chatId).LastOrDefault());
    }

    public Task<ChatMessage?> ReadMessageAsync(string tenantId, string chatId, long seq)
    {
        lock (_gate)
            return Task.FromResult(Messages(tenantId, chatId).FirstOrDefault(m => m.Seq == seq));
    }

    public Task<IReadOnlyList<ChatMessage>> ReadMessagesAsync(string tenantId, string chatId, long? before, long? after, int limit)
    {
        lock (_gate)
        {
            var range = Messages(tenantId, chatId).Where(m => m.Seq > (after ?? 0) && m.Seq < (before ?? long.MaxValue));
            IReadOnlyList<ChatMessage> page = after is not null || before is null
                ? range.Take(limit).ToList()
                : range.TakeLast(limit).ToList();
            return Task.FromResult(page);
        }
    }

    public Task<long> InboundCountAtAsync(string tenantId, string chatId, long seq)
    {
        lock (_gate)
            return Task.FromResult(Messages(tenantId, chatId).LastOrDefault(m => m.Seq <= seq)?.InboundCount ?? 0);
    }

    public Task MarkReadAsync(string tenantId, string chatId, string userId, long upToSeq, long inboundCount, DateTimeOffset at)
    {
        lock (_gate)
        {
            _reads[(tenantId, chatId, userId)] = Math.Max(_reads.GetValueOrDefault((tenantId, chatId, userId)), inboundCount);
            var list = Messages(tenantId, chatId);
            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is { Direction: MessageDirection.Inbound, ReadAt: null } m && m.Seq <= upToSeq)
                    list[i] = m with { ReadAt = at };
            }
        }
        return Task.CompletedTask;
    }

    public Task<Page<ChatView>> ListChatsAsync(string tenantId, string userId, bool unreadOnly, Transport? transport, int limit, string? cursor)
    {
        lock (_gate)
        {
            var rows = _chats.Values
                .Where(c => c.TenantId == tenantId)
                .Select(c => (Chat: c, Client: _clients.Get(tenantId, c.ClientId), Read: _reads.GetValueOrDefault((tenantId, c.ChatId, userId))))
                .Where(r => r.Client is { DeletedAt: null })
                .Where(r => !unreadOnly || r.Chat.InboundCount > r.Read)
                .Where(r => transport is null || r.Chat.LastMessage?.Transport == transport)
                .Select(r => (Key: SortKey(r.Chat), View: new ChatView
                {
                    Id = r.Chat.ChatId,
                    ClientId = r.Chat.ClientId,
                    CreatedAt = r.Chat.CreatedAt,
                    LastMessageAt = r.Chat.LastMessageAt,
                    UnreadCount = r.Chat.InboundCount - r.Read,
                    LastMessage = r.Chat.LastMessage,
                    Members = r.Chat.Members,
                    ClientName = ChatView.NameOf(r.Client!.FirstName, r.Client.LastName),
                }))
                .OrderByDescending(r => r.Key, StringComparer.Ordinal)
                .Where(r => cursor is null || string.CompareOrdinal(r.Key, cursor) < 0)
                .Take(limit + 1)
                .ToList();
            var more = rows.Count > limit;
            if (more)
                rows.RemoveAt(limit);
            return Task.FromResult(new Page<ChatView> { Items = rows.Select(r => r.View).ToList(), NextCursor = more ? rows[^1].Key : null });
        }
    }

    public Task UpdateDeliveryAsync(string tenantId, string chatId, long seq, MessageStatus status, string? errorCode, string? providerMessageId,
        DateTimeOffset? sentAt, DateTimeOffset? deliveredAt, DateTimeOffset? readAt)
    {
        lock (_gate)
        {
            var list = Messages(tenantId, chatId);
            var i = list.FindIndex(m => m.Seq == seq);
            if (i >= 0)
            {
                var m = list[i];
                list[i] = m with
                {
                    Status = status, ErrorCode = errorCode, ProviderMessageId = providerMessageId ?? m.ProviderMessageId,
                    SentAt = sentAt ?? m.SentAt, DeliveredAt = deliveredAt ?? m.DeliveredAt, ReadAt = readAt ?? m.ReadAt,
                };
            }
        }
        return Task.CompletedTask;
    }

    public Task<MessageLocation?> LocateAsync(string tenantId, string? messageId, Transport transport, string? providerMessageId)
    {
        lock (_gate)
        {
            var hit = _messages.Where(p => p.Key.Tenant == tenantId).SelectMany(p => p.Value).FirstOrDefault(m =>
                (messageId is not null && m.Id == messageId) ||
                (providerMessageId is not null && m.Transport == transport && m.ProviderMessageId == providerMessageId));
            return Task.FromResult(hit is null ? null : new MessageLocation { ClientId = Ids.ClientIdOfChat(hit.ChatId)!, Seq = hit.Seq });
        }
    }

    public Task<Page<ChatMessage>> SearchMessagesAsync(string tenantId, string query, int limit, string? cursor)
    {
        var words = query.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        lock (_gate)
        {
            var hits = _messages.Where(p => p.Key.Tenant == tenantId)
                .SelectMany(p => p.Value)
                .Where(m => words.All(w => m.Text.Contains(w, StringComparison.OrdinalIgnoreCase)))
                .OrderByDescending(m => m.Id, StringComparer.Ordinal)
                .Where(m => cursor is null || string.CompareOrdinal(m.Id, cursor) < 0)
                .Take(limit + 1)
                .ToList();
            var more = hits.Count > limit;
            if (more)
                hits.RemoveAt(limit);
            return Task.FromResult(new Page<ChatMessage> { Items = hits, NextCursor = more ? hits[^1].Id : null });
        }
    }

    private static string SortKey(ChatSummary c) => ChatListCursor.Of(c.LastMessageAt ?? c.CreatedAt, c.ChatId);

    private List<ChatMessage> Messages(string tenantId, string chatId)
    {
        if (!_messages.TryGetValue((tenantId, chatId), out var list))
            _messages[(tenantId, chatId)] = list = [];
        return list;
    }
}

internal sealed class MemoryClientIndex : IClientIndex
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Tenant, string Client), ClientProfile> _clients = [];

    public Task UpsertAsync(string tenantId, ClientProfile profile)
    {
        lock (_gate)
            _clients[(tenantId, profile.Id)] = profile;
        return Task.CompletedTask;
    }

    public Task RemoveAsync(string tenantId, string clientId)
    {
        lock (_gate)
            _clients.Remove((tenantId, clientId));
        return Task.CompletedTask;
    }

    public ClientProfile? Get(string tenantId, string clientId)
    {
        lock (_gate)
            return _clients.GetValueOrDefault((tenantId, clientId));
    }

    public Task<Page<ClientProfile>> SearchAsync(string tenantId, string? query, int limit, string? cursor)
    {
        var needle = ClientRules.SearchNeedle(query);
        lock (_gate)
        {
            var matches = _clients.Where(p => p.Key.Tenant == tenantId).Select(p => p.Value)
                .Where(c => c.DeletedAt is null && (string.IsNullOrEmpty(needle) || ClientRules.SearchText(c).Contains(needle, StringComparison.Ordinal)));
            return Task.FromResult(Paging.ByKey(matches, c => c.Id, limit, cursor));
        }
    }
}

internal sealed class MemoryAuditLog : IAuditLog
{
    private readonly Lock _gate = new();
    private readonly List<AuditEvent> _events = [];

    public Task AppendAsync(AuditEvent entry)
    {
        lock (_gate)
            _events.Add(entry with { Id = _events.Count + 1 });
        return Task.CompletedTask;
    }

    public IAsyncEnumerable<AuditEvent> ReadAboutClientAsync(string tenantId, string clientId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
            return _events.Where(e => e.TenantId == tenantId && e.ClientId == clientId).ToList().ToAsyncEnumerable();
    }

    public Task<Page<AuditEvent>> ReadAsync(string tenantId, AuditQuery query)
    {
        lock (_gate)
        {
            var items = _events.Where(e => e.TenantId == tenantId
                    && (query.ClientId is null || e.ClientId == query.ClientId)
                    && (query.From is null || e.At >= query.From)
                    && (query.To is null || e.At < query.To)
                    && (query.Before is null || e.Id < query.Before))
                .OrderByDescending(e => e.Id).Take(query.Limit + 1).ToList();
            return Task.FromResult(AuditPaging.Page(items, query.Limit));
        }
    }
}

internal sealed class MemoryAttachmentStore : IAttachmentStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Tenant, string Id), AttachmentContent> _files = [];
    private readonly Dictionary<(string Tenant, string Id), DateTimeOffset> _createdAt = [];

    public Task SaveAsync(string tenantId, AttachmentRef meta, byte[] content, string createdBy, DateTimeOffset at)
    {
        lock (_gate)
        {
            _files[(tenantId, meta.Id)] = new AttachmentContent { Meta = meta, Content = content };
            _createdAt[(tenantId, meta.Id)] = at;
        }
        return Task.CompletedTask;
    }

    public long DeleteBefore(string tenantId, DateTimeOffset before)
    {
        lock (_gate)
        {
            var expired = _createdAt.Where(p => p.Key.Tenant == tenantId && p.Value < before).Select(p => p.Key).ToList();
            foreach (var key in expired)
            {
                _files.Remove(key);
                _createdAt.Remove(key);
            }
            return expired.Count;
        }
    }

    public Task<IReadOnlyList<AttachmentRef>> DescribeAsync(string tenantId, IReadOnlyList<string> ids)
    {
        lock (_gate)
            return Task.FromResult<IReadOnlyList<AttachmentRef>>(ids.Where(id => _files.ContainsKey((tenantId, id))).Select(id => _files[(tenantId, id)].Meta).ToList());
    }

    public Task<AttachmentContent?> ReadAsync(string tenantId, string id)
    {
        lock (_gate)
            return Task.FromResult(_files.GetValueOrDefault((tenantId, id)));
    }

    public long Remove(string tenantId, IEnumerable<string> ids)
    {
        lock (_gate)
            return ids.Count(id => _files.Remove((tenantId, id)));
    }
}

internal sealed class MemoryRetentionStore(MemoryChatStore chats, MemoryAttachmentStore files) : IRetentionStore
{
    public Task<long> DeleteMessagesAsync(string tenantId, DateTimeOffset before, int batchSize) =>
        Task.FromResult(chats.DeleteBefore(tenantId, before));

    public Task<long> DeleteAttachmentsAsync(string tenantId, DateTimeOffset before, int batchSize) =>
        Task.FromResult(files.DeleteBefore(tenantId, before));
}
