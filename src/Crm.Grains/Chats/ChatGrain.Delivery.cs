using Microsoft.Extensions.Logging;

namespace Crm.Grains;

/// <summary>The chat's outbox: delivery after the message is stored, retries with backoff, status reports, events.</summary>
internal sealed partial class ChatGrain
{
    private const string OutboxReminder = "outbox";
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(20);
    private IGrainTimer? _deliveryTimer;

    // The outbox reminder is a safety net for a silo that dies with messages queued: registered once per activation
    // while the outbox has entries, and removed by the reminder itself when it finds the outbox empty. Registering
    // and removing it around every message cost three calls through the silo's one reminder service per message.
    private bool _reminderRegistered;

    // Messages queued by this activation, kept until their first delivery attempt so it need not read them back.
    private readonly Dictionary<long, ChatMessage> _outgoing = [];

    public async Task<Result<ChatMessage>> ApplyStatusAsync(long seq, StatusReport report)
    {
        var message = await store.ReadMessageAsync(TenantId, ChatId, seq);
        if (message is null || message.Direction != MessageDirection.Outbound)
            return Result<ChatMessage>.NotFound();
        if (!DeliveryRules.Advances(message.Status, report.Status))
            return Result<ChatMessage>.Ok(message);

        var updated = await MoveAsync(message, report.Status, report.ErrorCode, null, report.At);
        return Result<ChatMessage>.Ok(updated);
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

        if (!Chat.Created)
            await CreateAsync(actor);
        var inbound = logged.Direction == MessageDirection.Inbound;
        var (stored, _) = await AppendAsync(new ChatMessage
        {
            Direction = logged.Direction,
            Text = logged.Text.Trim(),
            Transport = logged.Transport,
            Sender = inbound ? new Sender { Type = SenderType.Client, ClientId = ClientId } : new Sender { Type = SenderType.User, UserId = actor.UserId },
            Status = inbound ? MessageStatus.Received : MessageStatus.Sent,
        }, null);
        await Task.WhenAll(
            state.WriteStateAsync(),
            audit.AppendAsync(AuditEvent.Of(actor, stored.CreatedAt, "message.logged", "message", stored.Id, ClientId)),
            PublishAsync(CrmEvent.OfMessage(inbound ? EventTypes.MessageReceived : EventTypes.MessageStatus, TenantId, stored, stored.CreatedAt, ClientId)));
        return Result<ChatMessage>.Ok(stored);
    }

    public async Task<Result<ChatMessage>> RetryAsync(long seq, Actor actor)
    {
        var message = await store.ReadMessageAsync(TenantId, ChatId, seq);
        if (message is null || message.Direction != MessageDirection.Outbound || DeliveryRules.IsLoggedOnly(message.Transport))
            return Result<ChatMessage>.NotFound();
        if (message.Status is not (MessageStatus.Failed or MessageStatus.Undelivered))
            return Result<ChatMessage>.Conflict("Only a failed message can be retried.");
        var client = await LiveClientAsync();
        if (client is null)
            return Result<ChatMessage>.NotFound();
        if (ChatRules.OptedOut(client, message.Transport))
            return Result<ChatMessage>.Conflict($"The client opted out of {EnumText.Of(message.Transport)} messages.");

        // An agent's retry is the one move back the ladder allows: the message starts its delivery again.
        await store.UpdateDeliveryAsync(TenantId, ChatId, seq, MessageStatus.Queued, null, null, null, null, null);
        Chat.Outbox.Add(new OutboxEntry { Seq = seq, NextAttemptAt = clock.Now() });
        await state.WriteStateAsync();
        await EnsureReminderAsync();
        await audit.AppendAsync(AuditEvent.Of(actor, clock.Now(), "message.retried", "message", message.Id, ClientId));
        ScheduleDelivery(TimeSpan.Zero);
        return Result<ChatMessage>.Ok(message with { Status = MessageStatus.Queued, ErrorCode = null });
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != OutboxReminder)
            return;
        if (Chat.Outbox.Count == 0)
        {
            await UnregisterReminderAsync();
            return;
        }
        _reminderRegistered = true;
        ScheduleDelivery(TimeSpan.Zero);
    }

    /// <summary>After a crash, a message whose provider call was under way may or may not have gone out; it is not sent blindly again.</summary>
    private async Task RecoverOutboxAsync()
    {
        var interrupted = Chat.Outbox.Where(e => e.InFlight).ToList();
        foreach (var entry in interrupted)
        {
            var message = await store.ReadMessageAsync(TenantId, ChatId, entry.Seq);
            Chat.Outbox.Remove(entry);
            if (message is not null)
                await MoveAsync(message, MessageStatus.Failed, "interrupted", null, clock.Now());
        }
        if (interrupted.Count > 0)
            await state.WriteStateAsync();
        if (Chat.Outbox.Count > 0)
            ScheduleDelivery(TimeSpan.Zero);
    }

    private void ScheduleDelivery(TimeSpan due)
    {
        _deliveryTimer?.Dispose();
        _deliveryTimer = this.RegisterGrainTimer(DeliverDueAsync, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan));
    }

    // The timer is the outbox's only clock while the grain is active: whatever fails in one pass (a storage write,
    // the reminder service while the cluster loses a silo), the next pass is scheduled, a little later after a failure.
    private async Task DeliverDueAsync(CancellationToken cancellationToken)
    {
        var failed = false;
        try
        {
            // Registered before the first attempt, so that a silo dying during it leaves the chat to be woken up; a
            // registration that fails does not hold the delivery back, and the next pass tries it again.
            if (Chat.Outbox.Count > 0)
            {
                try
                {
                    await EnsureReminderAsync();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    LogReminderFailed(logger, e, ChatId);
                }
            }
            foreach (var entry in Chat.Outbox.Where(e => e.NextAttemptAt <= clock.Now()).ToList())
                await DeliverAsync(entry);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            failed = true;
            LogPassFailed(logger, e, ChatId);
        }
        finally
        {
            if (Chat.Outbox.Count > 0)
                ScheduleDelivery(Max(failed ? FailedPassPause : TimeSpan.FromMilliseconds(50), Chat.Outbox.Min(e => e.NextAttemptAt) - clock.Now()));
        }
    }

    private static readonly TimeSpan FailedPassPause = TimeSpan.FromSeconds(1);

    private async Task DeliverAsync(OutboxEntry entry)
    {
        var message = _outgoing.Remove(entry.Seq, out var kept) ? kept : await store.ReadMessageAsync(TenantId, ChatId, entry.Seq);
        var client = await GrainFactory.GetGrain<IClientGrain>(this.GetPrimaryKeyString()).GetAsync();
        if (message is null || client is null)
        {
            Chat.Outbox.Remove(entry);
            await state.WriteStateAsync();
            return;
        }
        var address = DeliveryRules.AddressFor(message.Transport, client, Chat.LastInboundFrom);
        if (ChatRules.OptedOut(client, message.Transport) || address is null)
        {
            Chat.Outbox.Remove(entry);
            await state.WriteStateAsync();
            await MoveAsync(message, MessageStatus.Failed, address is null ? "no_address" : "opted_out", null, clock.Now());
            return;
        }

        entry.InFlight = true;
        entry.Attempts++;
        await state.WriteStateAsync();
        var outcome = await SendAsync(message, address, entry.Attempts);
        entry.InFlight = false;
        if (outcome.Kind == SendOutcomeKind.Retry && entry.Attempts < DeliveryRules.MaxAttempts)
        {
            entry.NextAttemptAt = clock.Now() + DeliveryRules.Backoff(entry.Attempts, outcome.RetryAfter);
            await state.WriteStateAsync();
            LogRetry(logger, message.Id, entry.Attempts, outcome.ErrorCode);
            return;
        }

        Chat.Outbox.Remove(entry);
        foreach (var (key, value) in outcome.Thread)
            Chat.Thread[key] = value;
        await state.WriteStateAsync();
        var status = outcome.Kind == SendOutcomeKind.Sent ? outcome.Status : MessageStatus.Failed;
        await MoveAsync(message, status, outcome.Kind == SendOutcomeKind.Sent ? null : outcome.ErrorCode, outcome.ProviderMessageId, clock.Now());
    }

    private async Task<SendOutcome> SendAsync(ChatMessage message, string address, int attempt)
    {
        var envelope = new OutboundEnvelope
        {
            TenantId = TenantId, ChatId = ChatId, ClientId = ClientId, MessageId = message.Id, Seq = message.Seq,
            Transport = message.Transport, To = address, Text = message.Text, Attachments = message.Attachments,
            Thread = Chat.Thread, Attempt = attempt,
        };
        using var timeout = new CancellationTokenSource(SendTimeout);
        try
        {
            return await sender.SendAsync(envelope, timeout.Token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return SendOutcome.Retry("adapter_error", e.GetType().Name);
        }
    }

    /// <summary>Moves a message forward: the database row, an audit record and an event.</summary>
    private async Task<ChatMessage> MoveAsync(ChatMessage message, MessageStatus status, string? errorCode, string? providerMessageId, DateTimeOffset at)
    {
        var updated = message with
        {
            Status = status,
            ErrorCode = errorCode ?? message.ErrorCode,
            ProviderMessageId = providerMessageId ?? message.ProviderMessageId,
            SentAt = message.SentAt ?? (DeliveryRules.Rank(status) >= 2 && DeliveryRules.Rank(status) < 5 ? at : null),
            DeliveredAt = message.DeliveredAt ?? (status is MessageStatus.Delivered or MessageStatus.Read ? at : null),
            ReadAt = message.ReadAt ?? (status == MessageStatus.Read ? at : null),
        };
        var system = Actor.System(TenantId);
        await Task.WhenAll(
            store.UpdateDeliveryAsync(TenantId, ChatId, message.Seq, status, updated.ErrorCode, updated.ProviderMessageId,
                updated.SentAt, updated.DeliveredAt, updated.ReadAt),
            audit.AppendAsync(AuditEvent.Of(system, at, "message.status", "message", message.Id, ClientId,
                System.Text.Json.JsonSerializer.Serialize(new { status = EnumText.Of(status), errorCode }))),
            PublishAsync(CrmEvent.OfMessage(EventTypes.MessageStatus, TenantId, updated, at, ClientId)));
        return updated;
    }

    private async Task ApplyKeywordAsync(InboundMessage message, Actor actor)
    {
        var keyword = DeliveryRules.KeywordOf(message.Transport, message.Text);
        if (keyword is Keyword.OptOut or Keyword.OptIn)
            await GrainFactory.GetGrain<IClientGrain>(this.GetPrimaryKeyString())
                .SetConsentAsync(message.Transport, keyword == Keyword.OptIn, "keyword", actor);
    }

    private Task PublishAsync(CrmEvent e) => streams.AppendAsync(StreamId.Create(StreamNames.Events, TenantId), e);

    private async Task EnsureReminderAsync()
    {
        if (_reminderRegistered)
            return;
        await this.RegisterOrUpdateReminder(OutboxReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        _reminderRegistered = true;
    }

    private async Task UnregisterReminderAsync()
    {
        if (await this.GetReminder(OutboxReminder) is { } reminder)
            await this.UnregisterReminder(reminder);
        _reminderRegistered = false;
    }

    private static string AddressOf(InboundMessage message) =>
        message.ContactType == ContactType.Other && message.ContactValue.IndexOf(':') is > 0 and var colon
            ? message.ContactValue[(colon + 1)..]
            : message.ContactValue;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The outbox reminder of chat {ChatId} could not be registered; delivery goes on and the next pass tries again")]
    private static partial void LogReminderFailed(ILogger logger, Exception exception, string chatId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A delivery pass of chat {ChatId} failed; the next one follows in a second")]
    private static partial void LogPassFailed(ILogger logger, Exception exception, string chatId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivery of message {MessageId} will be retried (attempt {Attempt}, {ErrorCode})")]
    private static partial void LogRetry(ILogger logger, string messageId, int attempt, string? errorCode);
}
