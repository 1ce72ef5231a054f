namespace Crm.Grains;

[GrainType("mailbox")]
internal sealed class MailboxGrain(
    [PersistentState("mailbox", StorageNames.Crm)] IPersistentState<MailboxState> state,
    TimeProvider clock) : Grain, IMailboxGrain
{
    // The lease lives in memory only: the grain is one activation in the cluster, and a lease lost
    // with it is at worst a short overlap of two readers, which the chat's dedupe by Message-Id absorbs.
    private string? holder;
    private DateTimeOffset leasedUntil;

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

    public Task<bool> LeaseAsync(string holder, TimeSpan duration)
    {
        var now = clock.GetUtcNow();
        if (this.holder is not null && this.holder != holder && leasedUntil > now)
            return Task.FromResult(false);
        (this.holder, leasedUntil) = (holder, now + duration);
        return Task.FromResult(true);
    }

    public Task ReleaseAsync(string holder)
    {
        if (this.holder == holder)
            this.holder = null;
        return Task.CompletedTask;
    }
}
