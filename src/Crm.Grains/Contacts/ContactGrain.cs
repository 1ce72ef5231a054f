using Microsoft.Extensions.Logging;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace Crm.Grains;

[GrainType("contact"), ImplicitStreamSubscription(StreamNames.Inbound)]
internal sealed partial class ContactGrain(
    [PersistentState("contact", StorageNames.Crm)] IPersistentState<ContactState> state,
    ILogger<ContactGrain> logger,
    TimeProvider clock) : Grain, IContactGrain, IStreamSubscriptionObserver, IAsyncObserver<InboundMessage>
{
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

    public async Task<string> ClaimAsync(string clientId)
    {
        if (state.State.OwnerClientId is { } owner)
            return owner;
        state.State.OwnerClientId = clientId;
        state.State.ClaimedAt = clock.Now();
        await state.WriteStateAsync();
        return clientId;
    }

    public async Task ReleaseAsync(string clientId)
    {
        if (state.State.OwnerClientId != clientId)
            return;
        await state.ClearStateAsync();
    }

    public Task<string?> GetOwnerAsync() => Task.FromResult(state.State.OwnerClientId);

    public async Task<Result<ChatMessage>> ReceiveAsync(InboundMessage message)
    {
        var (tenantId, _) = Ids.Split(this.GetPrimaryKeyString());
        var owner = state.State.OwnerClientId ?? await ClaimAsync(Ids.New("cl"));
        if (!state.State.OwnerExists)
        {
            // Adopting is idempotent: it creates the client only where the claim has none yet (first contact, or a
            // crash after the claim), so a redelivered message never leaves its chat without a client.
            var contact = new ContactDraft { Type = message.ContactType, Value = message.ContactValue };
            var adopted = await GrainFactory.GetGrain<IClientGrain>(Ids.Key(tenantId, owner))
                .AdoptAsync(ContactRules.ProfileOf(message), contact, Actor.System(tenantId) with { UserId = message.Provider, KeyId = message.Provider });
            if (!adopted.IsOk)
                return adopted.As<ChatMessage>();
            state.State.OwnerExists = true;
            await state.WriteStateAsync();
        }
        var received = await GrainFactory.GetGrain<IChatGrain>(Ids.Key(tenantId, owner)).ReceiveAsync(message);
        DeactivateWhenQuiet();
        return received;
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
