using Crm.Grains;

namespace Crm.Providers;

/// <summary>
/// The durable UID high-water marks of the mailboxes the IMAP receiver reads, by <see cref="MailboxMark.Key"/>,
/// and the leases that let one receiver in a cluster read each mailbox.
/// </summary>
public interface IMailboxMarks
{
    Task<MailboxMark> GetAsync(string key);

    Task AdvanceAsync(string key, MailboxMark mark);

    Task<bool> LeaseAsync(string key, string holder, TimeSpan duration);

    Task ReleaseAsync(string key, string holder);
}

/// <summary>Marks and leases kept by <see cref="IMailboxGrain"/>.</summary>
public sealed class GrainMailboxMarks(IGrainFactory grains) : IMailboxMarks
{
    public Task<MailboxMark> GetAsync(string key) => grains.GetGrain<IMailboxGrain>(key).GetMarkAsync();

    public Task AdvanceAsync(string key, MailboxMark mark) => grains.GetGrain<IMailboxGrain>(key).AdvanceAsync(mark);

    public Task<bool> LeaseAsync(string key, string holder, TimeSpan duration) => grains.GetGrain<IMailboxGrain>(key).LeaseAsync(holder, duration);

    public Task ReleaseAsync(string key, string holder) => grains.GetGrain<IMailboxGrain>(key).ReleaseAsync(holder);
}
