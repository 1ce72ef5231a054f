using Microsoft.Extensions.Logging;

namespace Crm.Grains;

/// <summary>
/// The chat's outbox: the chat records, a delivery worker calls the provider outside the chat's turn and reports back.
/// </summary>
/// <remarks>
/// A message is marked in flight (its row: <c>in_flight</c>, the attempt counted, <c>next_attempt_at</c> = the report
/// deadline) in a commit before the worker gets it, and the first attempt's mark is part of the very commit that
/// queues the message, so a send costs no commit of its own for it. Where a crash can fall:
/// <list type="bullet">
/// <item>before the queuing commit: nothing is stored and the sender got no 202;</item>
/// <item>between that commit and the hand-off (microseconds in the same turn), during the provider call, or between the
/// provider's answer and the report's commit: the row says in flight and nobody knows whether the provider has the
/// message. When the deadline passes without a report (the outbox sweep wakes the chat on another silo if this one
/// died, <see cref="OutboxSweepGrain"/>), the message is marked failed ("interrupted") for an agent to check and retry, never sent a second time;</item>
/// <item>after the report's commit: the outcome is recorded.</item>
/// </list>
/// The worker lives on the chat's silo, so a lost hand-off means a lost silo. One message of a chat is in flight at a
/// time, in seq order; a message queued behind it is marked when the report has come.
/// </remarks>
internal sealed partial class ChatGrain
{
    /// <summary>The reminder each chat with an outbox registered before the outbox sweep; one that still fires is dropped.</summary>
    private const string LegacyOutboxReminder = "outbox";

    /// <summary>Past the worker's own timeout and its report retries: a report not in by then is lost with its silo.</summary>
    private static readonly TimeSpan ReportDeadline = DeliveryWorkerGrain.SendTimeout + TimeSpan.FromSeconds(30);

    private static readonly TimeSpan FailedPassPause = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PassPause = TimeSpan.FromMilliseconds(50);

    /// <summary>The outbox, by seq.</summary>
    private readonly List<OutboxEntry> _outbox = [];

    /// <summary>The message a worker has, kept until its report so the report need not read it back.</summary>
    private ChatMessage? _inFlight;

    private IGrainTimer? _deliveryTimer;

    public async Task ReportDeliveryAsync(long seq, int attempt, SendOutcome outcome)
    {
        var index = _outbox.FindIndex(e => e.Seq == seq && e.InFlight && e.Attempts == attempt);
        if (index < 0)
        {
            LogStaleReport(logger, ChatId, seq, attempt);
            return;
        }
        var entry = _outbox[index];
        var message = _inFlight?.Seq == seq ? _inFlight : await store.ReadMessageAsync(TenantId, ChatId, seq);
        var now = clock.Now();
        if (message is null)
        {
            _outbox.RemoveAt(index);
        }
        else if (outcome.Kind == SendOutcomeKind.Retry && entry.Attempts < DeliveryRules.MaxAttempts && message.Status == MessageStatus.Queued)
        {
            var retry = entry with { InFlight = false, NextAttemptAt = now + DeliveryRules.Backoff(entry.Attempts, outcome.RetryAfter) };
            await CommitAsync(Change() with { Updated = [new MessageWrite(message, retry)] });
            _outbox[index] = retry;
            LogRetry(logger, message.Id, entry.Attempts, outcome.ErrorCode);
        }
        else
        {
            // A retry the provider asked for after a status report moved the message on leaves it where it is.
            var sent = outcome.Kind == SendOutcomeKind.Sent;
            var status = sent ? outcome.Status
                : outcome.Kind == SendOutcomeKind.Retry && message.Status != MessageStatus.Queued ? message.Status
                : MessageStatus.Failed;
            var change = Settle(message, status, sent ? null : outcome.ErrorCode, outcome.ProviderMessageId, now);
            var chat = outcome.Thread.Count > 0 ? _chat! with { Thread = Merged(_chat.Thread, outcome.Thread) } : null;
            await CommitAsync(change with { Chat = chat });
            _outbox.RemoveAt(index);
            _chat = chat ?? _chat;
        }
        _inFlight = null;
        if (_outbox.Count > 0)
            ScheduleDelivery(TimeSpan.Zero);
    }

    public async Task<Result<ChatMessage>> ApplyStatusAsync(long seq, StatusReport report)
    {
        var message = _inFlight?.Seq == seq ? _inFlight : await store.ReadMessageAsync(TenantId, ChatId, seq);
        if (message is null || message.Direction != MessageDirection.Outbound)
            return Result<ChatMessage>.NotFound();
        if (!DeliveryRules.Advances(message.Status, report.Status))
            return Result<ChatMessage>.Ok(message);

        // A message the provider has moved on leaves the outbox, unless an attempt is in flight: its report settles it.
        var index = _outbox.FindIndex(e => e.Seq == seq);
        var flying = index >= 0 && _outbox[index].InFlight ? _outbox[index] : null;
        var change = Settle(message, report.Status, report.ErrorCode, null, report.At);
        var moved = change.Updated[0].Message;
        await CommitAsync(change with { Updated = [new MessageWrite(moved, flying)] });
        if (flying is not null && _inFlight?.Seq == seq)
            _inFlight = moved;
        else if (index >= 0 && flying is null)
            _outbox.RemoveAt(index);
        return Result<ChatMessage>.Ok(moved);
    }

    public async Task<Result<ChatMessage>> LogAsync(LoggedMessage logged, Actor actor)
    {
        var errors = new Errors();
        if (!DeliveryRules.IsLoggedOnly(logged.Transport))
            errors.Add("transport", "Only phone and other exchanges are logged; use messages to send on a channel.");
        ChatRules.ValidateText(logged.Text, false, errors);
        if (errors.Any)
            return errors.ToResult<ChatMessage>();
        if (await LiveClientAsync() is null)
            return Result<ChatMessage>.NotFound();

        var now = clock.Now();
        var audit = new List<AuditEvent>(2);
        var chat = _chat ?? Create(actor, now, null, audit);
        var inbound = logged.Direction == MessageDirection.Inbound;
        var stored = new ChatMessage
        {
            Id = Ids.New("msg"),
            ChatId = ChatId,
            Seq = chat.LastSeq + 1,
            Direction = logged.Direction,
            Text = logged.Text.Trim(),
            Transport = logged.Transport,
            Sender = inbound ? new Sender { Type = SenderType.Client, ClientId = ClientId } : new Sender { Type = SenderType.User, UserId = actor.UserId },
            Status = inbound ? MessageStatus.Received : MessageStatus.Sent,
            CreatedAt = now,
            InboundCount = chat.InboundCount + (inbound ? 1 : 0),
        };
        audit.Add(AuditEvent.Of(actor, now, "message.logged", "message", stored.Id, ClientId));
        chat = chat.After(stored);
        await CommitAsync(Change() with
        {
            Chat = chat,
            Inserted = new MessageWrite(stored),
            Audit = audit,
            Events = [CrmEvent.OfMessage(inbound ? EventTypes.MessageReceived : EventTypes.MessageStatus, TenantId, stored, now, ClientId)],
        });
        _chat = chat;
        return Result<ChatMessage>.Ok(stored);
    }

    public async Task<Result<ChatMessage>> RetryAsync(long seq, Actor actor)
    {
        var message = await store.ReadMessageAsync(TenantId, ChatId, seq);
        if (message is null || message.Direction != MessageDirection.Outbound || DeliveryRules.IsLoggedOnly(message.Transport))
            return Result<ChatMessage>.NotFound();
        if (message.Status is not (MessageStatus.Failed or MessageStatus.Undelivered) || _outbox.Exists(e => e.Seq == seq))
            return Result<ChatMessage>.Conflict("Only a failed message can be retried.");
        var client = await LiveClientAsync();
        if (client is null || _chat is null)
            return Result<ChatMessage>.NotFound();
        if (ChatRules.OptedOut(client, message.Transport))
            return Result<ChatMessage>.Conflict($"The client opted out of {EnumText.Of(message.Transport)} messages.");

        // An agent's retry is the one move back the ladder allows: the message starts its delivery again.
        var now = clock.Now();
        var queued = message with { Status = MessageStatus.Queued, ErrorCode = null };
        var address = DeliveryRules.AddressFor(message.Transport, client, _chat.LastInboundFrom);
        var entry = Enqueue(seq, address, now);
        await CommitAsync(Change() with
        {
            Updated = [new MessageWrite(queued, entry)],
            Audit = [AuditEvent.Of(actor, now, "message.retried", "message", message.Id, ClientId)],
        });
        await QueueAsync(entry, queued, address);
        return Result<ChatMessage>.Ok(queued);
    }

    /// <summary>The activation has loaded the outbox and scheduled its pass (<see cref="OnActivateAsync"/>); nothing more to do.</summary>
    public Task WakeAsync() => Task.CompletedTask;

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        // The outbox sweep does what each chat's reminder did; the activation this woke runs its outbox as any does.
        if (reminderName == LegacyOutboxReminder && await this.GetReminder(reminderName) is { } legacy)
            await this.UnregisterReminder(legacy);
    }

    /// <summary>
    /// The outbox place of a message about to be queued: in flight at once, its first attempt counted, when it can go
    /// straight to the worker (an address, and no other message of the chat in flight); else due now, for the next pass.
    /// </summary>
    private OutboxEntry Enqueue(long seq, string? address, DateTimeOffset now) =>
        address is not null && !_outbox.Exists(e => e.InFlight)
            ? new OutboxEntry { Seq = seq, Attempts = 1, InFlight = true, NextAttemptAt = now + ReportDeadline }
            : new OutboxEntry { Seq = seq, NextAttemptAt = now };

    /// <summary>After the queuing commit: hands an in-flight entry's message to the worker, or leaves the entry to the next pass.</summary>
    private async Task QueueAsync(OutboxEntry entry, ChatMessage message, string? address)
    {
        var at = _outbox.FindIndex(e => e.Seq > entry.Seq);
        _outbox.Insert(at < 0 ? _outbox.Count : at, entry);
        if (entry.InFlight)
            await HandOffAsync(message, address!, entry.Attempts);
        else
            ScheduleDelivery(TimeSpan.Zero);
    }

    private async Task HandOffAsync(ChatMessage message, string address, int attempt)
    {
        _inFlight = message;
        var envelope = new OutboundEnvelope
        {
            TenantId = TenantId, ChatId = ChatId, ClientId = ClientId, MessageId = message.Id, Seq = message.Seq,
            Transport = message.Transport, To = address, Text = message.Text, Attachments = message.Attachments,
            Thread = new Dictionary<string, string>(_chat!.Thread), Attempt = attempt,
        };
        try
        {
            await GrainFactory.GetGrain<IDeliveryWorkerGrain>(0).DeliverAsync(envelope);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The entry stays in flight: at its deadline the message is marked interrupted, as after a crash.
            LogHandOffFailed(logger, e, message.Id);
        }
    }

    private void ScheduleDelivery(TimeSpan due)
    {
        _deliveryTimer?.Dispose();
        _deliveryTimer = this.RegisterGrainTimer(DeliverDueAsync, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan));
    }

    // The timer is the outbox's only clock while the grain is active: whatever fails in one pass (a commit while the
    // cluster loses a silo, say), the next pass is scheduled, a little later after a failure.
    // A pass only commits and hands over; it never waits for a provider.
    private async Task DeliverDueAsync(CancellationToken cancellationToken)
    {
        var failed = false;
        try
        {
            var now = clock.Now();
            foreach (var lost in _outbox.Where(e => e.InFlight && e.NextAttemptAt <= now).ToList())
                await InterruptAsync(lost, now);
            if (!_outbox.Exists(e => e.InFlight) && _outbox.Find(e => e.NextAttemptAt <= now) is { } next)
                await StartAttemptAsync(next, now);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failed = true;
            LogPassFailed(logger, e, ChatId);
        }
        finally
        {
            if (_outbox.Count > 0)
            {
                // While a message is in flight, the next pass is its deadline (its report schedules one sooner).
                var waiting = _outbox.Exists(e => e.InFlight) ? _outbox.Where(e => e.InFlight) : _outbox;
                ScheduleDelivery(Max(failed ? FailedPassPause : PassPause, waiting.Min(e => e.NextAttemptAt) - clock.Now()));
            }
        }
    }

    /// <summary>A message whose report never came: its provider may or may not have it, so it is not sent blindly again.</summary>
    private async Task InterruptAsync(OutboxEntry entry, DateTimeOffset now)
    {
        var message = _inFlight?.Seq == entry.Seq ? _inFlight : await store.ReadMessageAsync(TenantId, ChatId, entry.Seq);
        if (message is not null)
            await CommitAsync(Settle(message, MessageStatus.Failed, "interrupted", null, now));
        _outbox.Remove(entry);
        if (_inFlight?.Seq == entry.Seq)
            _inFlight = null;
        LogInterrupted(logger, entry.Seq, ChatId);
    }

    private async Task StartAttemptAsync(OutboxEntry entry, DateTimeOffset now)
    {
        var message = await store.ReadMessageAsync(TenantId, ChatId, entry.Seq);
        var client = await KnownClientAsync();
        if (message is null || client is null)
        {
            // The row went (retention) or the client did: the message leaves the outbox as it is.
            if (message is not null)
                await CommitAsync(Change() with { Updated = [new MessageWrite(message)] });
            _outbox.Remove(entry);
            return;
        }
        var address = DeliveryRules.AddressFor(message.Transport, client, _chat!.LastInboundFrom);
        if (ChatRules.OptedOut(client, message.Transport) || address is null)
        {
            await CommitAsync(Settle(message, MessageStatus.Failed, address is null ? "no_address" : "opted_out", null, now));
            _outbox.Remove(entry);
            return;
        }

        var flying = entry with { Attempts = entry.Attempts + 1, InFlight = true, NextAttemptAt = now + ReportDeadline };
        await CommitAsync(Change() with { Updated = [new MessageWrite(message, flying)] });
        _outbox[_outbox.IndexOf(entry)] = flying;
        await HandOffAsync(message, address, flying.Attempts);
    }

    /// <summary>
    /// A message's final move out of the outbox: forward only (a status report may have moved it further meanwhile),
    /// with its audit record and event when the status changes.
    /// </summary>
    private ChatChange Settle(ChatMessage message, MessageStatus status, string? errorCode, string? providerMessageId, DateTimeOffset at)
    {
        if (!DeliveryRules.Advances(message.Status, status))
            return Change() with { Updated = [new MessageWrite(message with { ProviderMessageId = providerMessageId ?? message.ProviderMessageId })] };
        var moved = message with
        {
            Status = status,
            ErrorCode = errorCode ?? message.ErrorCode,
            ProviderMessageId = providerMessageId ?? message.ProviderMessageId,
            SentAt = message.SentAt ?? (DeliveryRules.Rank(status) >= 2 && DeliveryRules.Rank(status) < 5 ? at : null),
            DeliveredAt = message.DeliveredAt ?? (status is MessageStatus.Delivered or MessageStatus.Read ? at : null),
            ReadAt = message.ReadAt ?? (status == MessageStatus.Read ? at : null),
        };
        return Change() with
        {
            Updated = [new MessageWrite(moved)],
            Audit = [AuditEvent.Of(Actor.System(TenantId), at, "message.status", "message", message.Id, ClientId,
                System.Text.Json.JsonSerializer.Serialize(new { status = EnumText.Of(status), errorCode }))],
            Events = [CrmEvent.OfMessage(EventTypes.MessageStatus, TenantId, moved, at, ClientId)],
        };
    }

    private static SmallMap<string, string> Merged(IReadOnlyDictionary<string, string> thread, IReadOnlyDictionary<string, string> facts) =>
        SmallMap<string, string>.Of(thread.Concat(facts));

    private static string AddressOf(InboundMessage message) =>
        message.ContactType == ContactType.Other && message.ContactValue.IndexOf(':') is > 0 and var colon
            ? message.ContactValue[(colon + 1)..]
            : message.ContactValue;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    [LoggerMessage(Level = LogLevel.Warning, Message = "A delivery pass of chat {ChatId} failed; the next one follows in a second")]
    private static partial void LogPassFailed(ILogger logger, Exception exception, string chatId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {MessageId} could not be handed to the delivery worker; it counts as interrupted at its deadline")]
    private static partial void LogHandOffFailed(ILogger logger, Exception exception, string messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No report came for message {Seq} of chat {ChatId} by its deadline; it is marked failed (interrupted), not sent again")]
    private static partial void LogInterrupted(ILogger logger, long seq, string chatId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Chat {ChatId} no longer waits for attempt {Attempt} at message {Seq}; the report changes nothing")]
    private static partial void LogStaleReport(ILogger logger, string chatId, long seq, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivery of message {MessageId} will be retried (attempt {Attempt}, {ErrorCode})")]
    private static partial void LogRetry(ILogger logger, string messageId, int attempt, string? errorCode);
}
