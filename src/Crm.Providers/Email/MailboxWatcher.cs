using Crm.Grains;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Crm.Providers;

/// <summary>
/// Reads one mailbox folder for as long as it runs and holds the mailbox's lease (one reader per
/// mailbox in a cluster): hands every mail above the UID mark to the inbound gateway, then advances
/// the mark; waits with IDLE (or polls), reconnects with backoff.
/// </summary>
internal sealed partial class MailboxWatcher(MailboxConfig config, string holder, IInboundGateway gateway, IMailboxMarks marks, IEmailFiles files, ILogger logger)
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(1);

    /// <summary>How often the lease is renewed, hence also how long one IDLE lasts (RFC 2177 asks for under 29 minutes).</summary>
    private static readonly TimeSpan LeaseRenewal = TimeSpan.FromSeconds(20);

    private TimeSpan backoff = FirstBackoff;
    private volatile bool mailArrived;
    private CancellationTokenSource? idleDone;

    /// <summary>Outlives the longest wait between two renewals, with room for one slow one.</summary>
    private TimeSpan LeaseTime => TimeSpan.FromTicks(Math.Max(LeaseRenewal.Ticks, config.PollInterval.Ticks) * 3);

    public async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            await ReadWhileLeasedAsync(stopping);
        }
        finally
        {
            await ReleaseAsync();
        }
    }

    private async Task ReadWhileLeasedAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (await marks.LeaseAsync(config.MarkKey, holder, LeaseTime))
                    await WatchAsync(stopping);
                else
                    await Task.Delay(LeaseRenewal, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error)
            {
                LogFailed(logger, config.ToString(), backoff.TotalSeconds, error);
                try
                {
                    await Task.Delay(backoff, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, config.MaxBackoff.Ticks));
            }
        }
    }

    private async Task WatchAsync(CancellationToken stopping)
    {
        using var client = new ImapClient();
        var security = !config.UseTls ? SecureSocketOptions.None
            : config.Port == 993 ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls;
        await client.ConnectAsync(config.Host, config.Port, security, stopping);
        await client.AuthenticateAsync(config.User, config.Password, stopping);
        var folder = await client.GetFolderAsync(config.Folder, stopping);
        folder.CountChanged += OnCountChanged;
        await folder.OpenAsync(FolderAccess.ReadOnly, stopping);
        backoff = FirstBackoff;
        LogWatching(logger, config.ToString(), folder.UidValidity);

        do
        {
            mailArrived = false;
            await DrainAsync(folder, stopping);
            if (!mailArrived)
                await WaitForMailAsync(client, stopping);
        }
        while (await marks.LeaseAsync(config.MarkKey, holder, LeaseTime));
        LogLeaseLost(logger, config.ToString());
        await client.DisconnectAsync(quit: true, stopping);
    }

    private async Task ReleaseAsync()
    {
        try
        {
            await marks.ReleaseAsync(config.MarkKey, holder);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            // The lease runs out by itself; releasing only lets another reader start sooner.
            LogReleaseFailed(logger, config.ToString(), error);
        }
    }

    private void OnCountChanged(object? sender, EventArgs e)
    {
        mailArrived = true;
        idleDone?.Cancel();
    }

    private async Task WaitForMailAsync(ImapClient client, CancellationToken stopping)
    {
        if (!config.UseIdle || !client.Capabilities.HasFlag(ImapCapabilities.Idle))
        {
            await Task.Delay(config.PollInterval, stopping);
            await client.NoOpAsync(stopping);
            return;
        }

        using var done = new CancellationTokenSource(LeaseRenewal);
        idleDone = done;
        try
        {
            if (!mailArrived)
                await client.IdleAsync(done.Token, stopping);
        }
        finally
        {
            idleDone = null;
        }
    }

    private async Task DrainAsync(IMailFolder folder, CancellationToken stopping)
    {
        var mark = await marks.GetAsync(config.MarkKey);
        if (mark.UidValidity != folder.UidValidity)
        {
            if (mark.UidValidity != 0)
                LogUidValidityChanged(logger, config.ToString(), mark.UidValidity, folder.UidValidity);
            mark = new MailboxMark { UidValidity = folder.UidValidity };
        }
        if (folder.Count == 0)
            return;

        // "UID n:*" always matches the last message, even when its UID is below n, hence the filter.
        var range = new UniqueIdRange(new UniqueId(mark.UidValidity, mark.LastUid + 1), UniqueId.MaxValue);
        var uids = await folder.SearchAsync(SearchQuery.Uids(range), stopping);
        foreach (var uid in uids.Where(u => u.Id > mark.LastUid).OrderBy(u => u.Id))
        {
            var message = await folder.GetMessageAsync(uid, stopping);
            await HandOverAsync(message, uid);
            await marks.AdvanceAsync(config.MarkKey, new MailboxMark { UidValidity = mark.UidValidity, LastUid = uid.Id });
        }
    }

    private async Task HandOverAsync(MimeMessage message, UniqueId uid)
    {
        if (EmailReader.SenderOf(message, config.OwnAddress) is not { } sender)
        {
            LogSkipped(logger, config.ToString(), uid.Id);
            return;
        }
        var attachments = await SaveAttachmentsAsync(message);
        await gateway.AcceptMessageAsync(EmailReader.Read(config.TenantId, message, sender, attachments));
    }

    private async Task<IReadOnlyList<AttachmentRef>> SaveAttachmentsAsync(MimeMessage message)
    {
        var saved = new List<AttachmentRef>();
        foreach (var entity in message.Attachments)
        {
            using var buffer = new MemoryStream();
            string fileName, contentType;
            if (entity is MimePart { Content: not null } part)
            {
                await part.Content.DecodeToAsync(buffer);
                (fileName, contentType) = (part.FileName ?? "attachment", part.ContentType.MimeType);
            }
            else if (entity is MessagePart { Message: { } attached })
            {
                await attached.WriteToAsync(buffer);
                (fileName, contentType) = ((attached.Subject is { Length: > 0 } s ? s : "message") + ".eml", "message/rfc822");
            }
            else
            {
                continue;
            }

            if (await files.SaveAsync(config.TenantId, fileName, contentType, buffer.ToArray()) is { } reference)
                saved.Add(reference);
            else
                LogAttachmentRefused(logger, config.ToString(), fileName, buffer.Length);
        }
        return saved;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mailbox {Mailbox} failed; reconnecting in {Seconds} s")]
    private static partial void LogFailed(ILogger logger, string mailbox, double seconds, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mailbox {Mailbox} is now read by another receiver")]
    private static partial void LogLeaseLost(ILogger logger, string mailbox);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mailbox {Mailbox}: the reader lease could not be released")]
    private static partial void LogReleaseFailed(ILogger logger, string mailbox, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Watching mailbox {Mailbox} (UIDVALIDITY {UidValidity})")]
    private static partial void LogWatching(ILogger logger, string mailbox, uint uidValidity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mailbox {Mailbox} changed UIDVALIDITY from {Old} to {New}; reading it again from the start")]
    private static partial void LogUidValidityChanged(ILogger logger, string mailbox, uint old, uint @new);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mailbox {Mailbox}: mail UID {Uid} has no client sender (none, unusable or our own); skipped")]
    private static partial void LogSkipped(ILogger logger, string mailbox, uint uid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mailbox {Mailbox}: attachment {FileName} ({Size} bytes) was not stored")]
    private static partial void LogAttachmentRefused(ILogger logger, string mailbox, string fileName, long size);
}
