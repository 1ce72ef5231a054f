namespace Crm.Grains;

/// <summary>
/// How far the IMAP receiver has read one mailbox folder (key <c>{tenant}/{account}/{folder}</c>):
/// every message up to the mark has been handed to the inbound gateway.
/// </summary>
public interface IMailboxGrain : IGrainWithStringKey
{
    Task<MailboxMark> GetMarkAsync();

    /// <summary>Moves the mark forward; within one UIDVALIDITY it never goes back, a new UIDVALIDITY replaces it.</summary>
    Task<MailboxMark> AdvanceAsync(MailboxMark mark);

    /// <summary>
    /// Lets one receiver in the cluster read the mailbox: true when <paramref name="holder"/> now holds
    /// the lease (taken, or renewed) for <paramref name="duration"/>; false while another holds it.
    /// </summary>
    Task<bool> LeaseAsync(string holder, TimeSpan duration);

    /// <summary>Gives the lease up, so another receiver may read at once (e.g. when a silo shuts down).</summary>
    Task ReleaseAsync(string holder);
}

/// <summary>The highest UID handed over, valid only together with the folder's UIDVALIDITY.</summary>
[GenerateSerializer, Immutable]
public sealed record MailboxMark
{
    [Id(0)] public uint UidValidity { get; init; }
    [Id(1)] public uint LastUid { get; init; }

    public static readonly MailboxMark None = new();

    /// <summary>The mark after <paramref name="next"/> was reported: a repeat or a late report of an older UID changes nothing.</summary>
    public static MailboxMark Advance(MailboxMark current, MailboxMark next) =>
        current.UidValidity == next.UidValidity && current.LastUid >= next.LastUid ? current : next;

    public static string Key(string tenantId, string account, string folder) => $"{tenantId}/{account.ToLowerInvariant()}/{folder}";
}
