namespace Crm.Grains;

[GrainType("mailbox")]
internal sealed class MailboxGrain([PersistentState("mailbox", StorageNames.Crm)] IPersistentState<MailboxState> state) : Grain, IMailboxGrain
{
    private MailboxMark Current => new() { UidValidity = state.State.UidValidity, LastUid = state.State.LastUid };

    public Task<MailboxMark> GetMarkAsync() => Task.FromResult(Current);

    public async Task<MailboxMark> AdvanceAsync(MailboxMark mark)
    {
        var next = MailboxMark.Advance(Current, mark);
        if (next == Current)
            return next;

        (state.State.UidValidity, state.State.LastUid) = (next.UidValidity, next.LastUid);
        await state.WriteStateAsync();
        return next;
    }
}
