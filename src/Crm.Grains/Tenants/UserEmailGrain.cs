namespace Crm.Grains;

[GenerateSerializer]
public sealed class UserEmailState
{
    [Id(0)] public UserRef? Owner { get; set; }
    [Id(1)] public SignInFailures Failures { get; set; } = SignInFailures.None;
}

[GrainType("user-email")]
internal sealed class UserEmailGrain(
    [PersistentState("user-email", StorageNames.Crm)] IPersistentState<UserEmailState> state,
    TimeProvider clock) : Grain, IUserEmailGrain
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

    public Task<DateTimeOffset?> LockedUntilAsync() => Task.FromResult(state.State.Failures.LockedUntil(clock.Now()));

    public async Task SignInFailedAsync(int maxFailures)
    {
        state.State.Failures = state.State.Failures.Add(clock.Now(), maxFailures);
        await state.WriteStateAsync();
    }

    public async Task SignInSucceededAsync()
    {
        if (state.State.Failures == SignInFailures.None)
            return;
        state.State.Failures = SignInFailures.None;
        await state.WriteStateAsync();
    }
}
