using Crm.Grains;
using MimeKit;

namespace Crm.Providers;

/// <summary>One mailbox folder the IMAP receiver reads; a change of any value restarts its loop.</summary>
public sealed record MailboxConfig
{
    public string TenantId { get; init; } = "";

    /// <summary>Our own address, lower-cased: mail from it is ours, not a client's.</summary>
    public string OwnAddress { get; init; } = "";
    public string Host { get; init; } = "";
    public int Port { get; init; }
    public bool UseTls { get; init; }
    public string User { get; init; } = "";
    public string Password { get; init; } = "";
    public string Folder { get; init; } = "INBOX";
    public bool UseIdle { get; init; } = true;
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(5);

    public string MarkKey => MailboxMark.Key(TenantId, User, Folder);

    /// <summary>Names the mailbox without its password, for logs.</summary>
    public override string ToString() => $"{User}@{Host}:{Port}/{Folder} of {TenantId}";

    public static MailboxConfig Of(string tenantId, EmailSettings email) => new()
    {
        TenantId = tenantId,
        OwnAddress = MailboxAddress.TryParse(email.From, out var from) ? from.Address.ToLowerInvariant() : "",
        Host = email.ImapHost ?? "",
        Port = email.ImapPort,
        UseTls = email.ImapUseTls,
        User = email.ImapUser ?? "",
        Password = email.ImapPassword ?? "",
        Folder = string.IsNullOrWhiteSpace(email.ImapFolder) ? "INBOX" : email.ImapFolder,
        UseIdle = email.ImapUseIdle,
        PollInterval = TimeSpan.FromSeconds(Math.Max(1, email.ImapPollSeconds)),
        MaxBackoff = TimeSpan.FromSeconds(Math.Max(1, email.ImapMaxBackoffSeconds)),
    };

    /// <summary>Every mailbox the options configure: tenants with an IMAP host and user.</summary>
    public static IReadOnlyList<MailboxConfig> AllIn(ChannelOptions options) =>
    [
        .. options.Tenants
            .Where(t => !string.IsNullOrWhiteSpace(t.Value.Email?.ImapHost) && !string.IsNullOrWhiteSpace(t.Value.Email?.ImapUser))
            .Select(t => Of(t.Key, t.Value.Email!)),
    ];
}
