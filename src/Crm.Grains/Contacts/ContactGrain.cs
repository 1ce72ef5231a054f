using Microsoft.Extensions.Logging;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace Crm.Grains;

[GrainType("contact"), ImplicitStreamSubscription(StreamNames.Inbound)]
internal sealed partial class ContactGrain(
    IClientStore clients,
    ILogger<ContactGrain> logger,
    TimeProvider clock) : Grain, IContactGrain, IStreamSubscriptionObserver, IAsyncObserver<InboundMessage>
{
    /// <summary>
    /// The owner as the contacts table names it, read when first needed. Only an owner is kept: a client that claims
    /// the value commits its row without calling here, so "nobody" is read again whenever it matters, while an owner
    /// changes only when that client frees the value, and it says so (<see cref="ReleaseAsync"/>).
    /// </summary>
    private string? _owner;

    private (string TenantId, ContactType Type, string Value) Key => ContactRules.ParseKey(this.GetPrimaryKeyString());

    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        handleFactory.Create<InboundMessage>().ResumeAsync(this);

    /// <summary>A message from the inbound stream. Throwing makes the stream deliver it again, so only real failures throw.</summary>
    public async Task OnNextAsync(InboundMessage item, StreamSequenceToken? token = null)
    {
        var result = await ReceiveAsync(item);
        if (!result.IsOk)
            LogRefused(logger, item.Transport, item.ProviderMessageId, result.Outcome, result.Detail);
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;

    public Task ReleaseAsync(string clientId)
    {
        if (_owner == clientId)
            _owner = null;
        return Task.CompletedTask;
    }

    public async Task<string?> GetOwnerAsync() => _owner ??= await ReadOwnerAsync();

    public async Task<Result<ChatMessage>> ReceiveAsync(InboundMessage message)
    {
        var owner = _owner ??= await ReadOwnerAsync();
        if (owner is null)
        {
            var created = await CreateClientAsync(message);
            if (!created.IsOk)
                return created.As<ChatMessage>();
            owner = created.Value!;
        }
        var received = await GrainFactory.GetGrain<IChatGrain>(Ids.Key(Key.TenantId, owner)).ReceiveAsync(message);
        DeactivateWhenQuiet();
        return received;
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbound {Transport} message {ProviderMessageId} was not stored: {Outcome} {Detail}")]
    private static partial void LogRefused(ILogger logger, Transport transport, string providerMessageId, Outcome outcome, string? detail);
}
