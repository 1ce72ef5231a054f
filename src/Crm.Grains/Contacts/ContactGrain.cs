using Microsoft.Extensions.Logging;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace Crm.Grains;

[GrainType("contact"), ImplicitStreamSubscription(StreamNames.Inbound)]
internal sealed partial class ContactGrain(
    IClientStore clients,
    IStreamAppender streams,
    ILogger<ContactGrain> logger,
    TimeProvider clock) : Grain, IContactGrain, IStreamSubscriptionObserver, IAsyncObserver<InboundMessage>
{
    /// <summary>
    /// The owner as the contacts table named it when last read. Clients claim and free values in their own commits and
    /// call no contact grain, so this is a guess for routing only: "nobody" is read again whenever it matters, and an
    /// owner that freed the value is found out by its chat, which refuses the message; then the table is read again.
    /// </summary>
    private string? _owner;

    private (string TenantId, ContactType Type, string Value) Key => ContactRules.ParseKey(this.GetPrimaryKeyString());

    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        handleFactory.Create<InboundMessage>().ResumeAsync(this);

    /// <summary>A message from the inbound stream. Throwing makes the stream deliver it again, so only real failures throw.</summary>
    public async Task OnNextAsync(InboundMessage item, StreamSequenceToken? token = null)
    {
        var result = token is IQueuedItemToken queued ? await ReceiveQueuedAsync(item, queued.Row) : await ReceiveAsync(item);
        if (!result.IsOk)
            LogRefused(logger, item.Transport, item.ProviderMessageId, result.Outcome, result.Detail);
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;

    public async Task<string?> GetOwnerAsync() => _owner = await ReadOwnerAsync();

    public Task<Result<ChatMessage>> ReceiveAsync(InboundMessage message) => RouteAsync(message, null);

    public Task<Result<ChatMessage>> ReceiveQueuedAsync(InboundMessage message, QueuedRow row) => RouteAsync(message, row);

    private async Task<Result<ChatMessage>> RouteAsync(InboundMessage message, QueuedRow? row)
    {
        var owner = await OwnerOrNewClientAsync(message, row);
        if (!owner.IsOk)
            return owner.As<ChatMessage>();
        var received = await ChatOf(owner.Value!).ReceiveAsync(message);
        if (received.Outcome == Outcome.Conflict)
        {
            // The owner freed the value since it was read here (moved to another client, or erased): the table says
            // who holds it now, or nobody, and then the message makes a client as from an unknown value.
            var refused = owner.Value!;
            _owner = null;
            owner = await OwnerOrNewClientAsync(message, row);
            if (!owner.IsOk)
                return owner.As<ChatMessage>();
            if (owner.Value == refused)
                throw new InvalidOperationException($"Client {refused} still owns this contact by the table, yet its chat refuses the message; the stream delivers it again later.");
            received = await ChatOf(owner.Value!).ReceiveAsync(message);
            if (received.Outcome == Outcome.Conflict)
                throw new InvalidOperationException($"The contact moved again while its message was routed ({received.Detail}); the stream delivers it again later.");
        }
        if (received is { IsOk: true, Value.Stored: true })
            await ApplyKeywordAsync(owner.Value!, message);
        DeactivateWhenQuiet();
        return received.IsOk ? Result<ChatMessage>.Ok(received.Value!.Message) : received.As<ChatMessage>();
    }

    private IChatGrain ChatOf(string clientId) => GrainFactory.GetGrain<IChatGrain>(Ids.Key(Key.TenantId, clientId));

    private async Task<Result<string>> OwnerOrNewClientAsync(InboundMessage message, QueuedRow? row)
    {
        if ((_owner ??= await ReadOwnerAsync()) is { } owner)
            return Result<string>.Ok(owner);
        // Nobody owns the value: it was never claimed, or its client was erased. The erasure deleted the queued rows
        // of its values, but not an item a puller had already taken; such an item must not bring the client back.
        if (row is not null && !await streams.IsQueuedAsync(StreamNames.InboundProvider, row))
            return Result<string>.NotFound("The sender's client was erased while this message waited in its queue; it is dropped with the client's data.");
        return await CreateClientAsync(message);
    }

    /// <summary>
    /// STOP and START on SMS and WhatsApp set the client's consent for that transport, once the message is stored (not
    /// again for a redelivery); the client tells its chat, so the next send there is refused.
    /// </summary>
    private async Task ApplyKeywordAsync(string clientId, InboundMessage message)
    {
        var keyword = DeliveryRules.KeywordOf(message.Transport, message.Text);
        if (keyword is not (Keyword.OptOut or Keyword.OptIn))
            return;
        var actor = Actor.System(Key.TenantId) with { UserId = message.Provider, KeyId = message.Provider };
        var set = await GrainFactory.GetGrain<IClientGrain>(Ids.Key(Key.TenantId, clientId))
            .SetConsentAsync(message.Transport, keyword == Keyword.OptIn, "keyword", actor);
        if (!set.IsOk)
            LogKeywordNotApplied(logger, keyword, clientId, set.Outcome, set.Detail);
    }

    /// <summary>
    /// The new client and its claim on this value are one commit: a crash before it leaves nothing, and the message,
    /// delivered again, creates the client then; a crash after it leaves the row that the next activation reads.
    /// </summary>
    private async Task<Result<string>> CreateClientAsync(InboundMessage message)
    {
        var (tenantId, type, value) = Key;
        var clientId = Ids.New("cl");
        var actor = Actor.System(tenantId) with { UserId = message.Provider, KeyId = message.Provider };
        var adopted = await GrainFactory.GetGrain<IClientGrain>(Ids.Key(tenantId, clientId))
            .AdoptAsync(ContactRules.ProfileOf(message), new ContactDraft { Type = type, Value = value }, actor);
        if (adopted.IsOk)
            return Result<string>.Ok(_owner = clientId);
        // A client created meanwhile (through the API) claimed the value first: its row names it.
        if (adopted.Outcome == Outcome.Conflict && await ReadOwnerAsync() is { } owner)
            return Result<string>.Ok(_owner = owner);
        return adopted.As<string>();
    }

    private Task<string?> ReadOwnerAsync()
    {
        var (tenantId, type, value) = Key;
        return clients.OwnerAsync(tenantId, type, value);
    }

    /// <summary>
    /// A contact only routes messages to its chat; kept active for the usual collection age, it would double the
    /// memory of every active chat. It goes after <see cref="QuietPeriod"/> without an inbound message, not at once:
    /// a call that reaches an activation while it deactivates is forwarded, and one forwarded from one
    /// just-deactivated activation to the next, message after message, is rejected by the runtime.
    /// </summary>
    private void DeactivateWhenQuiet()
    {
        _lastReceivedAt = clock.Now();
        _quietTimer ??= this.RegisterGrainTimer(() =>
        {
            if (clock.Now() - _lastReceivedAt >= QuietPeriod)
                DeactivateOnIdle();
            return Task.CompletedTask;
        }, new GrainTimerCreationOptions(QuietPeriod, QuietPeriod));
    }

    internal static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(5);
    private DateTimeOffset _lastReceivedAt;
    private IGrainTimer? _quietTimer;

    [LoggerMessage(Level = LogLevel.Information, Message = "Keyword {Keyword} of client {ClientId} changed no consent: {Outcome} {Detail}")]
    private static partial void LogKeywordNotApplied(ILogger logger, Keyword keyword, string clientId, Outcome outcome, string? detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbound {Transport} message {ProviderMessageId} was not stored: {Outcome} {Detail}")]
    private static partial void LogRefused(ILogger logger, Transport transport, string providerMessageId, Outcome outcome, string? detail);
}
