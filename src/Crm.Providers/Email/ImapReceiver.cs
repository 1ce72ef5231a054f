using Crm.Grains;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Providers;

/// <summary>
/// Receives the mail of every tenant that has an IMAP mailbox configured, one loop per mailbox.
/// Configuration changes (a tenant added, a password changed) start, restart or stop loops without a restart of the host.
/// </summary>
public sealed partial class ImapReceiver(
    IOptionsMonitor<ChannelOptions> options,
    IInboundGateway gateway,
    IMailboxMarks marks,
    IEmailFiles files,
    ILogger<ImapReceiver> logger) : BackgroundService
{
    /// <summary>Names this receiver when it leases a mailbox, so that in a cluster one silo reads each mailbox.</summary>
    private readonly string holder = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    /// <summary>
    /// How often the configuration is compared with the running loops even when no change was signalled
    /// (settings changed in place signal nothing); the comparison touches no server, so it may be frequent.
    /// </summary>
    public TimeSpan RescanInterval { get; init; } = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var running = new Dictionary<MailboxConfig, Loop>();
        using var changed = new SemaphoreSlim(0);
        try
        {
            using var subscription = options.OnChange((_, _) => changed.Release());
            while (!stoppingToken.IsCancellationRequested)
            {
                if (Wanted() is { } wanted)
                    await ReconcileAsync(running, wanted);
                try
                {
                    await changed.WaitAsync(RescanInterval, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            await ReconcileAsync(running, []);
        }
    }

    private IReadOnlyList<MailboxConfig>? Wanted()
    {
        var current = options.CurrentValue;
        try
        {
            // Settings may be changed in place by whoever holds this lock; a torn read waits for the next scan.
            lock (current)
                return MailboxConfig.AllIn(current);
        }
        catch (InvalidOperationException error)
        {
            LogUnreadable(logger, error);
            return null;
        }
    }

    private async Task ReconcileAsync(Dictionary<MailboxConfig, Loop> running, IReadOnlyList<MailboxConfig> wanted)
    {
        foreach (var gone in running.Keys.Except(wanted).ToList())
        {
            await running[gone].StopAsync();
            running.Remove(gone);
            LogStopped(logger, gone.ToString());
        }
        foreach (var added in wanted.Where(w => !running.ContainsKey(w)))
        {
            var stop = new CancellationTokenSource();
            var watcher = new MailboxWatcher(added, holder, gateway, marks, files, logger);
            running[added] = new Loop(stop, Task.Run(() => watcher.RunAsync(stop.Token), CancellationToken.None));
            LogStarted(logger, added.ToString());
        }
    }

    private sealed record Loop(CancellationTokenSource Stop, Task Running)
    {
        public async Task StopAsync()
        {
            await Stop.CancelAsync();
            await Running;
            Stop.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Channel settings could not be read; trying again at the next scan")]
    private static partial void LogUnreadable(ILogger logger, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "IMAP receiver started for {Mailbox}")]
    private static partial void LogStarted(ILogger logger, string mailbox);

    [LoggerMessage(Level = LogLevel.Information, Message = "IMAP receiver stopped for {Mailbox}")]
    private static partial void LogStopped(ILogger logger, string mailbox);
}
