using Microsoft.Extensions.Logging;
namespace Crm.Grains;

[GrainType("chat")]
internal sealed partial class ChatGrain(
    [PersistentState("chat", StorageNames.Crm)] IPersistentState<ChatState> state,
    IChatStore store,
    IAuditLog audit,
    IChannelSender sender,
    IStreamAppender streams,
    ILogger<ChatGrain> logger,
    TimeProvider clock) : Grain, IChatGrain, IRemindable
{
    private string TenantId => Ids.Split(this.GetPrimaryKeyString()).TenantId;
    private string ClientId => Ids.Split(this.GetPrimaryKeyString()).Id;
    private string ChatId => Ids.ChatIdOf(ClientId);
    private ChatState Chat => state.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A message row is committed before the grain state that counts it; catch up if the state write was lost.
        if (!Chat.Created)
            return;
        var last = await store.ReadLastAsync(TenantId, ChatId);
        if (last is not null && last.Seq > Chat.LastSeq)
        {
            var unconfirmed = await store.ReadMessagesAsync(TenantId, ChatId, null, Chat.LastSeq, int.MaxValue);
            Count(last);
            // An outbound message whose row committed but whose state did not was never acknowledged (no 202) and
            // is in no outbox: it is marked failed rather than left queued, and never sent behind the sender's back.
            foreach (var message in unconfirmed.Where(m => m.Direction == MessageDirection.Outbound && m.Status == MessageStatus.Queued))
                await MoveAsync(message, MessageStatus.Failed, "unconfirmed", null, clock.Now());
        }
        await RecoverOutboxAsync();
    }

    public async Task<Result<ChatView>> OpenAsync(Actor actor)
    {
        if (Chat.Created)
            return Result<ChatView>.Ok(View(actor.UserId));
        var client = await LiveClientAsync();
        if (client is null)
            return Result<ChatView>.NotFound();

        await CreateAsync(actor);
        return Result<ChatView>.Ok(View(actor.UserId));
    }

    public async Task<Result<ChatView>> GetAsync(Actor actor)
    {
        if (!Chat.Created || await LiveClientAsync() is null)
            return Result<ChatView>.NotFound();
        return Result<ChatView>.Ok(View(actor.UserId));
    }

    public async Task<Result<ChatMessage>> SendAsync(OutgoingMessage message, Actor actor)
    {
        if (message.IdempotencyKey is { } key && Chat.RecentKeys.TryGetValue(ChatRules.IdempotencyKey(key), out var firstSeq))
            return Result<ChatMessage>.Ok((await store.ReadMessageAsync(TenantId, ChatId, firstSeq))!);
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
        var transport = ChatRules.ChooseTransport(message.Transport, Chat.LastInboundTransport, client);
        if (transport is null)
            errors.Add("transport", "The client has no contact to send on; give a transport.");
        if (errors.Any)
            return errors.ToResult<ChatMessage>();
        if (ChatRules.OptedOut(client, transport!.Value))
            return Result<ChatMessage>.Conflict($"The client opted out of {EnumText.Of(transport.Value)} messages.");

        if (!Chat.Created)
            await CreateAsync(actor);
        AddUserMember(actor.UserId);
        var (stored, added) = await AppendAsync(new ChatMessage
        {
            Direction = MessageDirection.Outbound,
            Text = text ?? "",
            Transport = transport.Value,
            Sender = new Sender { Type = SenderType.User, UserId = actor.UserId },
            Attachments = attachments,
            Status = MessageStatus.Queued,
            IdempotencyKey = message.IdempotencyKey,
            TemplateId = templateId,
        }, message.IdempotencyKey is null ? null : ChatRules.IdempotencyKey(message.IdempotencyKey), queue: true);
        if (!added)
        {
            await state.WriteStateAsync();
            return Result<ChatMessage>.Ok(stored);
        }
        _outgoing[stored.Seq] = stored;
        await Task.WhenAll(
            state.WriteStateAsync(),
            audit.AppendAsync(AuditEvent.Of(actor, stored.CreatedAt, "message.queued", "message", stored.Id, ClientId)),
            PublishAsync(CrmEvent.OfMessage(EventTypes.MessageQueued, TenantId, stored, stored.CreatedAt, ClientId)));
        ScheduleDelivery(TimeSpan.Zero);
        return Result<ChatMessage>.Ok(stored);
    }

    public async Task<Result<ChatMessage>> ReceiveAsync(InboundMessage message)
    {
        var key = ChatRules.ProviderKey(message.Transport, message.ProviderMessageId);
        if (Chat.RecentKeys.TryGetValue(key, out var firstSeq))
            return Result<ChatMessage>.Ok((await store.ReadMessageAsync(TenantId, ChatId, firstSeq))!);
        var system = Actor.System(TenantId) with { UserId = message.Provider, KeyId = message.Provider };
        if (!Chat.Created)
            await CreateAsync(system, message.Transport);
        Chat.LastInboundTransport = message.Transport;
        if (message.ContactValue.Length > 0)
            Chat.LastInboundFrom[message.Transport] = AddressOf(message);
        if (message.Metadata.Count > 0)
            Chat.Thread = new Dictionary<string, string>(message.Metadata);
        var (stored, added) = await AppendAsync(new ChatMessage
        {
            Direction = MessageDirection.Inbound,
            Text = ChatRules.InboundText(message.Text),
            Transport = message.Transport,
            Sender = message.Sender with { ClientId = ClientId },
            Attachments = message.Attachments,
            Status = MessageStatus.Received,
            ProviderMessageId = message.ProviderMessageId,
        }, key);
        if (!added)
        {
            await state.WriteStateAsync();
            return Result<ChatMessage>.Ok(stored);
        }
        await Task.WhenAll(
            state.WriteStateAsync(),
            audit.AppendAsync(AuditEvent.Of(system, stored.CreatedAt, "message.received", "message", stored.Id, ClientId)),
            PublishAsync(CrmEvent.OfMessage(EventTypes.MessageReceived, TenantId, stored, stored.CreatedAt, ClientId)));
        await ApplyKeywordAsync(message, system);
        return Result<ChatMessage>.Ok(stored);
    }

    public async Task<Result<Page<ChatMessage>>> GetMessagesAsync(long? before, long? after, int limit)
    {
        if (!Chat.Created || await LiveClientAsync() is null)
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
        if (!Chat.Created || await LiveClientAsync() is null)
            return Result<ChatView>.NotFound();
        if (upToSeq < 0)
            return Result<ChatView>.Invalid("upToSeq", "Must be zero or more.");
        var seq = Math.Min(upToSeq, Chat.LastSeq);
        var current = Chat.ReadHorizons.GetValueOrDefault(actor.UserId);
        if (current is not null && seq <= current.Seq)
            return Result<ChatView>.Ok(View(actor.UserId));

        var inbound = seq == Chat.LastSeq ? Chat.InboundCount : await store.InboundCountAtAsync(TenantId, ChatId, seq);
        var now = clock.Now();
        await store.MarkReadAsync(TenantId, ChatId, actor.UserId, seq, inbound, now);
        Chat.ReadHorizons[actor.UserId] = new ReadHorizon { Seq = seq, InboundCount = inbound, At = now };
        await state.WriteStateAsync();
        return Result<ChatView>.Ok(View(actor.UserId));
    }

    public async Task<Result<ChatView>> AddMemberAsync(MemberDraft member, Actor actor)
    {
        if (!Chat.Created || await LiveClientAsync() is null)
            return Result<ChatView>.NotFound();
        if (member.Kind == MemberKind.User)
        {
            if (member.UserId is null || await GrainFactory.GetGrain<ITenantGrain>(TenantId).GetUserAsync(member.UserId) is not { Active: true })
                return Result<ChatView>.Invalid("userId", "No such active user in this tenant.");
            if (!AddUserMember(member.UserId))
                return Result<ChatView>.Ok(View(actor.UserId));
        }
        else if (member.Kind == MemberKind.Client)
        {
            if (Chat.Members.Any(m => m.Kind == MemberKind.Client && m.Transport == member.Transport))
                return Result<ChatView>.Ok(View(actor.UserId));
            Chat.Members.Add(NewMember(MemberKind.Client, member.Transport) with { ClientId = ClientId });
        }
        else
        {
            if (string.IsNullOrWhiteSpace(member.ServiceName))
                return Result<ChatView>.Invalid("serviceName", "A service member needs a name.");
            if (Chat.Members.Any(m => m.Kind == MemberKind.Service && m.ServiceName == member.ServiceName))
                return Result<ChatView>.Ok(View(actor.UserId));
            Chat.Members.Add(NewMember(MemberKind.Service, member.Transport) with { ServiceName = member.ServiceName });
        }

        await state.WriteStateAsync();
        await store.UpsertChatAsync(Summary());
        await audit.AppendAsync(AuditEvent.Of(actor, clock.Now(), "chat.member_added", "chat", ChatId, ClientId));
        return Result<ChatView>.Ok(View(actor.UserId));
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

    private async Task<ClientProfile?> LiveClientAsync()
    {
        var client = await GrainFactory.GetGrain<IClientGrain>(this.GetPrimaryKeyString()).GetAsync();
        return client is { DeletedAt: null } ? client : null;
    }

    private async Task CreateAsync(Actor actor, Transport? transport = null)
    {
        Chat.Created = true;
        Chat.CreatedAt = clock.Now();
        Chat.Members.Add(NewMember(MemberKind.Client, transport) with { ClientId = ClientId });
        await state.WriteStateAsync();
        await Task.WhenAll(
            store.UpsertChatAsync(Summary()),
            audit.AppendAsync(AuditEvent.Of(actor, Chat.CreatedAt, "chat.created", "chat", ChatId, ClientId)));
    }

    private bool AddUserMember(string userId)
    {
        if (Chat.Members.Any(m => m.Kind == MemberKind.User && m.UserId == userId))
            return false;
        Chat.Members.Add(NewMember(MemberKind.User, null) with { UserId = userId });
        return true;
    }

    private Member NewMember(MemberKind kind, Transport? transport) =>
        new() { Id = Ids.New("mb"), Kind = kind, Transport = transport, CreatedAt = clock.Now() };

    /// <summary>
    /// Stores the message (a group commit shared with other chats) and counts it in memory; the caller writes the
    /// grain state next to its audit record and event, so the three share one wait.
    /// </summary>
    private async Task<(ChatMessage Stored, bool Added)> AppendAsync(ChatMessage draft, string? dedupKey, bool queue = false)
    {
        var inbound = draft.Direction == MessageDirection.Inbound;
        var message = draft with
        {
            Id = Ids.New("msg"),
            ChatId = ChatId,
            Seq = Chat.LastSeq + 1,
            CreatedAt = clock.Now(),
            InboundCount = Chat.InboundCount + (inbound ? 1 : 0),
        };
        var stored = await store.AppendAsync(TenantId, message, Summary() with
        {
            LastSeq = message.Seq,
            InboundCount = message.InboundCount,
            LastMessageAt = message.CreatedAt,
            LastMessage = MessagePreview.Of(message),
        });
        var added = stored.Id == message.Id;
        if (added)
        {
            Count(stored);
            if (queue)
                Chat.Outbox.Add(new OutboxEntry { Seq = stored.Seq, NextAttemptAt = stored.CreatedAt });
        }
        if (dedupKey is not null)
            ChatRules.Remember(Chat.RecentKeys, dedupKey, stored.Seq);
        return (stored, added);
    }

    private void Count(ChatMessage last)
    {
        Chat.LastSeq = last.Seq;
        Chat.InboundCount = last.InboundCount;
        Chat.LastMessageAt = last.CreatedAt;
        Chat.LastMessage = MessagePreview.Of(last);
    }

    private ChatSummary Summary() => new()
    {
        TenantId = TenantId,
        ChatId = ChatId,
        ClientId = ClientId,
        CreatedAt = Chat.CreatedAt,
        LastMessageAt = Chat.LastMessageAt,
        LastSeq = Chat.LastSeq,
        InboundCount = Chat.InboundCount,
        LastMessage = Chat.LastMessage,
        Members = Chat.Members,
    };

    private ChatView View(string userId) => new()
    {
        Id = ChatId,
        ClientId = ClientId,
        CreatedAt = Chat.CreatedAt,
        LastMessageAt = Chat.LastMessageAt,
        UnreadCount = ChatRules.Unread(Chat, userId),
        LastMessage = Chat.LastMessage,
        Members = Chat.Members,
    };
}
