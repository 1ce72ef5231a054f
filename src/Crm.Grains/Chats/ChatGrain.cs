using Microsoft.Extensions.Logging;
namespace Crm.Grains;

/// <summary>
/// One chat, its rows cached in memory: the chat row, the read horizons, the outbox and the dedup keys of its newest
/// messages, loaded in one round trip on activation. Each change is one commit through the group commit holding every
/// row it touches (<see cref="IChatStore.CommitAsync"/>); memory moves only once that commit is done, and a commit whose
/// outcome is unknown deactivates the grain, so the next call starts again from the rows.
/// </summary>
/// <remarks>
/// The chat calls no client: what it needs of its client (<see cref="ClientFacts"/>) is read with its rows and pushed by
/// the client after each change. Grain calls run one way: contact → client, contact → chat, client → chat,
/// chat → delivery worker (one-way) and worker → chat, so no call waits on a grain that waits on its caller.
/// </remarks>
[GrainType("chat")]
internal sealed partial class ChatGrain(
    IChatStore store,
    ILogger<ChatGrain> logger,
    TimeProvider clock) : Grain, IChatGrain, IRemindable
{
    private string TenantId => Ids.Split(this.GetPrimaryKeyString()).TenantId;
    private string ClientId => Ids.Split(this.GetPrimaryKeyString()).Id;
    private string ChatId => Ids.ChatIdOf(ClientId);

    /// <summary>Null while the chat was never created.</summary>
    private ChatRow? _chat;

    /// <summary>Null while nobody has read the chat.</summary>
    private Dictionary<string, ReadHorizon>? _reads;

    private readonly RecentKeys _keys = new();

    /// <summary>Null while the client has no row, as far as the chat knows.</summary>
    private ClientFacts? _client;

    /// <summary>Set in the turn that erases the chat: from then on it has no client, whatever its rows say meanwhile.</summary>
    private bool _erased;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var loaded = await store.LoadAsync(TenantId, ChatId, ClientId, ChatRules.RecentKeysKept);
        _chat = loaded.Chat;
        _client = loaded.Client;
        _reads = loaded.Reads.Count > 0 ? new Dictionary<string, ReadHorizon>(loaded.Reads) : null;
        _outbox.AddRange(loaded.Outbox);
        foreach (var (key, seq) in loaded.RecentKeys)
            _keys.Remember(key, seq);
        if (_outbox.Count > 0)
            ScheduleDelivery(TimeSpan.Zero);
    }

    public async Task<Result<ChatView>> OpenAsync(Actor actor)
    {
        if (_chat is not null)
            return Result<ChatView>.Ok(View(actor.UserId));
        if (await LiveClientAsync() is null)
            return Result<ChatView>.NotFound();

        var audit = new List<AuditEvent>(1);
        var chat = Create(actor, clock.Now(), null, audit);
        await CommitAsync(Change() with { Chat = chat, Audit = audit });
        _chat = chat;
        return Result<ChatView>.Ok(View(actor.UserId));
    }

    public async Task<Result<ChatView>> GetAsync(Actor actor)
    {
        if (_chat is null || await LiveClientAsync() is null)
            return Result<ChatView>.NotFound();
        return Result<ChatView>.Ok(View(actor.UserId));
    }

    public async Task<Result<ChatMessage>> SendAsync(OutgoingMessage message, Actor actor)
    {
        if (message.IdempotencyKey is { } key && await RecentAsync(ChatRules.IdempotencyKey(key), m => m.IdempotencyKey == key) is { } first)
            return Result<ChatMessage>.Ok(first);
        var client = await LiveClientAsync();
        if (client is null)
            return Result<ChatMessage>.NotFound();

        var errors = new Errors();
        var text = message.Text?.Trim();
        string? templateId = null;
        if (message.TemplateId is { } requested)
        {
            var template = await GrainFactory.GetGrain<ITemplatesGrain>(TenantId).GetAsync(requested);
            if (template is null)
                errors.Add("templateId", "No such template.");
            else
                (text, templateId) = (string.IsNullOrWhiteSpace(text) ? template.Text : text, template.Id);
        }
        ChatRules.ValidateText(text, message.Attachments.Count > 0 || errors.Any, errors);
        var attachments = await DescribeAttachmentsAsync(message.Attachments, errors);
        var transport = ChatRules.ChooseTransport(message.Transport, _chat?.LastInboundTransport, client);
        if (transport is null)
            errors.Add("transport", "The client has no contact to send on; give a transport.");
        if (errors.Any)
            return errors.ToResult<ChatMessage>();
        if (ChatRules.OptedOut(client, transport!.Value))
            return Result<ChatMessage>.Conflict($"The client opted out of {EnumText.Of(transport.Value)} messages.");

        var now = clock.Now();
        var audit = new List<AuditEvent>(2);
        var chat = WithUser(_chat ?? Create(actor, now, null, audit), actor.UserId, now);
        var stored = new ChatMessage
        {
            Id = Ids.New("msg"),
            ChatId = ChatId,
            Seq = chat.LastSeq + 1,
            Direction = MessageDirection.Outbound,
            Text = text ?? "",
            Transport = transport.Value,
            Sender = new Sender { Type = SenderType.User, UserId = actor.UserId },
            Attachments = attachments,
            Status = MessageStatus.Queued,
            CreatedAt = now,
            IdempotencyKey = message.IdempotencyKey,
            TemplateId = templateId,
            InboundCount = chat.InboundCount,
        };
        audit.Add(AuditEvent.Of(actor, now, "message.queued", "message", stored.Id, ClientId));
        var address = DeliveryRules.AddressFor(stored.Transport, client, chat.LastInboundFrom);
        var entry = Enqueue(stored.Seq, address, now);
        chat = chat.After(stored);

        var duplicate = await CommitAsync(Change() with
        {
            Chat = chat,
            Inserted = new MessageWrite(stored, entry),
            Audit = audit,
            Events = [CrmEvent.OfMessage(EventTypes.MessageQueued, TenantId, stored, now, ClientId)],
        });
        if (message.IdempotencyKey is not null)
            _keys.Remember(ChatRules.IdempotencyKey(message.IdempotencyKey), (duplicate ?? stored).Seq);
        if (duplicate is not null)
            return Result<ChatMessage>.Ok(duplicate);
        _chat = chat;
        await QueueAsync(entry, stored, address);
        return Result<ChatMessage>.Ok(stored);
    }

    public async Task<Result<InboundReceipt>> ReceiveAsync(InboundMessage message)
    {
        var key = ChatRules.ProviderKey(message.Transport, message.ProviderMessageId);
        if (await RecentAsync(key, m => m.Transport == message.Transport && m.ProviderMessageId == message.ProviderMessageId) is { } first)
            return Result<InboundReceipt>.Ok(new InboundReceipt { Message = first });
        if (!await HoldsAsync(message.ContactType, message.ContactValue))
            return Result<InboundReceipt>.Conflict("The client no longer holds the contact this message came from.");

        var system = Actor.System(TenantId) with { UserId = message.Provider, KeyId = message.Provider };
        var now = clock.Now();
        var audit = new List<AuditEvent>(2);
        var chat = _chat ?? Create(system, now, message.Transport, audit);
        chat = chat with
        {
            LastInboundTransport = message.Transport,
            LastInboundFrom = message.ContactValue.Length > 0 ? With(chat.LastInboundFrom, message.Transport, AddressOf(message)) : chat.LastInboundFrom,
            Thread = message.Metadata.Count > 0 ? SmallMap<string, string>.Of(message.Metadata) : chat.Thread,
        };
        var stored = new ChatMessage
        {
            Id = Ids.New("msg"),
            ChatId = ChatId,
            Seq = chat.LastSeq + 1,
            Direction = MessageDirection.Inbound,
            Text = ChatRules.InboundText(message.Text),
            Transport = message.Transport,
            Sender = message.Sender with { ClientId = ClientId },
            Attachments = message.Attachments,
            Status = MessageStatus.Received,
            CreatedAt = now,
            ProviderMessageId = message.ProviderMessageId,
            InboundCount = chat.InboundCount + 1,
        };
        audit.Add(AuditEvent.Of(system, now, "message.received", "message", stored.Id, ClientId));
        chat = chat.After(stored);

        var duplicate = await CommitAsync(Change() with
        {
            Chat = chat,
            Inserted = new MessageWrite(stored),
            Audit = audit,
            Events = [CrmEvent.OfMessage(EventTypes.MessageReceived, TenantId, stored, now, ClientId)],
        });
        _keys.Remember(key, (duplicate ?? stored).Seq);
        if (duplicate is not null)
            return Result<InboundReceipt>.Ok(new InboundReceipt { Message = duplicate });
        _chat = chat;
        return Result<InboundReceipt>.Ok(new InboundReceipt { Message = stored, Stored = true });
    }

    public Task ClientChangedAsync(ClientFacts facts)
    {
        // The activation's read and a push may cross: of two copies, the higher version is the newer.
        if (!_erased && (_client is null || facts.Version > _client.Version))
            _client = facts;
        return Task.CompletedTask;
    }

    public async Task<Result<Page<ChatMessage>>> GetMessagesAsync(long? before, long? after, int limit)
    {
        if (_chat is null || await LiveClientAsync() is null)
            return Result<Page<ChatMessage>>.NotFound();
        var items = await store.ReadMessagesAsync(TenantId, ChatId, before, after, limit + 1);
        var backwards = after is null && before is not null;
        var more = items.Count > limit;
        var page = !more ? items : backwards ? items.Skip(1).ToList() : items.Take(limit).ToList();
        string? next = !more || page.Count == 0 ? null : (backwards ? page[0].Seq : page[^1].Seq).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Result<Page<ChatMessage>>.Ok(new Page<ChatMessage> { Items = page, NextCursor = next });
    }

    public async Task<Result<ChatView>> MarkReadAsync(long upToSeq, Actor actor)
    {
        if (_chat is not { } chat || await LiveClientAsync() is null)
            return Result<ChatView>.NotFound();
        if (upToSeq < 0)
            return Result<ChatView>.Invalid("upToSeq", "Must be zero or more.");
        var seq = Math.Min(upToSeq, chat.LastSeq);
        if (_reads?.GetValueOrDefault(actor.UserId) is { } current && seq <= current.Seq)
            return Result<ChatView>.Ok(View(actor.UserId));

        var inbound = seq == chat.LastSeq ? chat.InboundCount : await store.InboundCountAtAsync(TenantId, ChatId, seq);
        var horizon = new ReadHorizon { Seq = seq, InboundCount = inbound, At = clock.Now() };
        await CommitAsync(Change() with { Read = (actor.UserId, horizon) });
        (_reads ??= [])[actor.UserId] = horizon;
        return Result<ChatView>.Ok(View(actor.UserId));
    }

    public async Task<Result<ChatView>> AddMemberAsync(MemberDraft member, Actor actor)
    {
        if (_chat is not { } chat || await LiveClientAsync() is null)
            return Result<ChatView>.NotFound();
        var now = clock.Now();
        if (member.Kind == MemberKind.User)
        {
            if (member.UserId is null || await GrainFactory.GetGrain<ITenantGrain>(TenantId).GetUserAsync(member.UserId) is not { Active: true })
                return Result<ChatView>.Invalid("userId", "No such active user in this tenant.");
            chat = WithUser(chat, member.UserId, now);
        }
        else if (member.Kind == MemberKind.Client)
        {
            if (!chat.Members.Any(m => m.Kind == MemberKind.Client && m.Transport == member.Transport))
                chat = chat with { Members = [.. chat.Members, NewMember(MemberKind.Client, member.Transport, now) with { ClientId = ClientId }] };
        }
        else
        {
            if (string.IsNullOrWhiteSpace(member.ServiceName))
                return Result<ChatView>.Invalid("serviceName", "A service member needs a name.");
            if (!chat.Members.Any(m => m.Kind == MemberKind.Service && m.ServiceName == member.ServiceName))
                chat = chat with { Members = [.. chat.Members, NewMember(MemberKind.Service, member.Transport, now) with { ServiceName = member.ServiceName }] };
        }
        if (ReferenceEquals(chat.Members, _chat.Members))
            return Result<ChatView>.Ok(View(actor.UserId));

        await CommitAsync(Change() with { Chat = chat, Audit = [AuditEvent.Of(actor, now, "chat.member_added", "chat", ChatId, ClientId)] });
        _chat = chat;
        return Result<ChatView>.Ok(View(actor.UserId));
    }

    /// <remarks>
    /// A chat activated by this call loaded the cleared row and has nothing to do. An active one drops the preview it
    /// holds and writes its row again, so a change it committed after the job's update cannot bring the text back.
    /// </remarks>
    public async Task ForgetPreviewAsync(long seq)
    {
        if (_chat is not { LastMessage: { } preview } chat || preview.Seq > seq)
            return;
        chat = chat with { LastMessage = null };
        await CommitAsync(Change() with { Chat = chat });
        _chat = chat;
    }

    private async Task<IReadOnlyList<AttachmentRef>> DescribeAttachmentsAsync(IReadOnlyList<AttachmentRef> requested, Errors errors)
    {
        if (requested.Count == 0)
            return [];
        if (requested.Count > ChatRules.MaxAttachments)
        {
            errors.Add("attachments", $"At most {ChatRules.MaxAttachments} attachments.");
            return [];
        }
        var ids = requested.Select(a => a.Id).Distinct().ToList();
        var found = await GrainFactory.GetGrain<IAttachmentsGrain>(TenantId).DescribeAsync(ids);
        foreach (var missing in ids.Except(found.Select(a => a.Id)))
            errors.Add("attachments", $"No uploaded file '{missing}'.");
        return ids.Select(id => found.FirstOrDefault(a => a.Id == id)).OfType<AttachmentRef>().ToList();
    }

    /// <summary>The client's facts while it is live; null when it is deleted, erased or was never created.</summary>
    private async Task<ClientFacts?> LiveClientAsync() => await KnownClientAsync() is { DeletedAt: null } client ? client : null;

    /// <summary>
    /// The client's facts, deleted or not. A client's creation is told to no chat (none has anything of it yet), so a
    /// chat that knows of no client reads the rows again before it says so.
    /// </summary>
    private async Task<ClientFacts?> KnownClientAsync()
    {
        if (_client is null && !_erased)
            _client = await store.ReadClientAsync(TenantId, ClientId);
        return _erased ? null : _client;
    }

    /// <summary>
    /// Whether the client holds the contact value a message came from. When the facts say no, the rows are read once
    /// more before the chat refuses: the client's commit of a claim is done before its push arrives, and a read after
    /// the commit is never older than what was pushed.
    /// </summary>
    private async Task<bool> HoldsAsync(ContactType type, string value)
    {
        if (_erased)
            return false;
        if (_client?.Holds(type, value) == true)
            return true;
        _client = await store.ReadClientAsync(TenantId, ClientId);
        return _client?.Holds(type, value) == true;
    }

    /// <summary>
    /// The message a dedup key was remembered with, if it is still among the newest and really is the same (the key is
    /// kept as a hash). A repeat older than that is caught by the unique indexes when its insert commits.
    /// </summary>
    private async Task<ChatMessage?> RecentAsync(string key, Func<ChatMessage, bool> same)
    {
        if (_keys.Find(key) is not { } seq)
            return null;
        var message = await store.ReadMessageAsync(TenantId, ChatId, seq);
        return message is not null && same(message) ? message : null;
    }

    private ChatChange Change() => new() { TenantId = TenantId, ChatId = ChatId, ClientId = ClientId };

    /// <summary>
    /// Commits one change; null once it is durable, else the message an insert repeated. Any failure leaves the outcome
    /// unknown (the commit may have happened), so the activation goes and the next call reloads the rows.
    /// </summary>
    private async Task<ChatMessage?> CommitAsync(ChatChange change)
    {
        try
        {
            return await store.CommitAsync(change);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogCommitFailed(logger, e, ChatId);
            DeactivateOnIdle();
            throw;
        }
    }

    /// <summary>A new chat, with the client as its first member; its creation is audited with the change that makes it.</summary>
    private ChatRow Create(Actor actor, DateTimeOffset now, Transport? transport, List<AuditEvent> audit)
    {
        audit.Add(AuditEvent.Of(actor, now, "chat.created", "chat", ChatId, ClientId));
        return new ChatRow { CreatedAt = now, Members = [NewMember(MemberKind.Client, transport, now) with { ClientId = ClientId }] };
    }

    private static ChatRow WithUser(ChatRow chat, string userId, DateTimeOffset now) =>
        chat.Members.Any(m => m.Kind == MemberKind.User && m.UserId == userId)
            ? chat
            : chat with { Members = [.. chat.Members, NewMember(MemberKind.User, null, now) with { UserId = userId }] };

    private static Member NewMember(MemberKind kind, Transport? transport, DateTimeOffset now) =>
        new() { Id = Ids.New("mb"), Kind = kind, Transport = transport, CreatedAt = now };

    private static SmallMap<Transport, string> With(IReadOnlyDictionary<Transport, string> addresses, Transport transport, string address) =>
        SmallMap<Transport, string>.Of(addresses).With(transport, address);

    private ChatView View(string userId) => new()
    {
        Id = ChatId,
        ClientId = ClientId,
        CreatedAt = _chat!.CreatedAt,
        LastMessageAt = _chat.LastMessageAt,
        UnreadCount = ChatRules.Unread(_chat, _reads?.GetValueOrDefault(userId)),
        LastMessage = _chat.LastMessage,
        Members = _chat.Members,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "A change of chat {ChatId} failed to commit; the chat reloads its rows at the next call")]
    private static partial void LogCommitFailed(ILogger logger, Exception exception, string chatId);
}
