namespace Crm.Grains;

[GrainType("contact")]
internal sealed class ContactGrain(
    [PersistentState("contact", StorageNames.Crm)] IPersistentState<ContactState> state,
    TimeProvider clock) : Grain, IContactGrain
{
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
}
