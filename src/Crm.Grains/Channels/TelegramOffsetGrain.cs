namespace Crm.Grains;

[GrainType("tgoffset")]
internal sealed class TelegramOffsetGrain(
    [PersistentState("tgoffset", StorageNames.Crm)] IPersistentState<TelegramOffsetState> state) : Grain, ITelegramOffsetGrain
{
    public Task<long> GetAsync() => Task.FromResult(state.State.Offset);

    public async Task AdvanceAsync(long next)
    {
        if (next <= state.State.Offset)
            return;
        state.State.Offset = next;
        await state.WriteStateAsync();
    }
}
