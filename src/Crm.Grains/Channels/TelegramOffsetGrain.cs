namespace Crm.Grains;

[GrainType("tgoffset")]
internal sealed class TelegramOffsetGrain(
    [PersistentState("tgoffset", StorageNames.Crm)] IPersistentState<TelegramOffsetState> state,
    TimeProvider clock) : Grain, ITelegramOffsetGrain
{
    // In memory only: if this activation is lost, the holder's next renewal takes the lease again at once.
    private (string Node, DateTimeOffset Until)? _lease;

    public Task<long> GetAsync() => Task.FromResult(state.State.Offset);

    public async Task AdvanceAsync(long next)
    {
        if (next <= state.State.Offset)
            return;
        state.State.Offset = next;
        await state.WriteStateAsync();
    }

    public Task<bool> HoldAsync(string node, TimeSpan lease)
    {
        var now = clock.GetUtcNow();
        if (_lease is { } held && held.Node != node && held.Until > now)
            return Task.FromResult(false);
        _lease = (node, now + lease);
        return Task.FromResult(true);
    }
}
