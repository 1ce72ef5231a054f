namespace Crm.Grains;

[GenerateSerializer]
public sealed class UserEmailState
{
    [Id(0)] public UserRef? Owner { get; set; }
}

[GrainType("user-email")]
internal sealed class UserEmailGrain(
    [PersistentState("user-email", StorageNames.Crm)] IPersistentState<UserEmailState> state) : Grain, IUserEmailGrain
{
    public async Task<bool> ClaimAsync(UserRef user)
    {
        if (state.State.Owner is { } owner)
            return owner == user;
        state.State.Owner = user;
        await state.WriteStateAsync();
        return true;
    }

    public async Task ReleaseAsync(UserRef user)
    {
        if (state.State.Owner != user)
            return;
        await state.ClearStateAsync();
    }

    public Task<UserRef?> FindAsync() => Task.FromResult(state.State.Owner);
}
