using Crm.Grains;

namespace Crm.Providers;

/// <summary>The durable UID high-water marks of the mailboxes the IMAP receiver reads, by <see cref="MailboxMark.Key"/>.</summary>
public interface IMailboxMarks
{
    Task<MailboxMark> GetAsync(string key);

    Task AdvanceAsync(string key, MailboxMark mark);
}

/// <summary>Marks kept by <see cref="IMailboxGrain"/>.</summary>
public sealed class GrainMailboxMarks(IGrainFactory grains) : IMailboxMarks
{
    public Task<MailboxMark> GetAsync(string key) => grains.GetGrain<IMailboxGrain>(key).GetMarkAsync();

    public Task AdvanceAsync(string key, MailboxMark mark) => grains.GetGrain<IMailboxGrain>(key).AdvanceAsync(mark);
}
