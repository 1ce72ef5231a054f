using Crm.Grains;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types.Enums;

namespace Crm.Providers;

/// <summary>
/// Long polling for tenants whose Telegram mode is <c>polling</c> (setups without a public URL). Every update is
/// handed to the inbound gateway before the durable offset moves past it, so a crash re-reads instead of losing.
/// Every silo runs it, but per bot only the node holding the offset grain's lease polls (Telegram answers concurrent
/// getUpdates of one bot with 409); the others take over once that lease runs out. Tenants are read at start.
/// </summary>
public sealed partial class TelegramPollingService(
    IOptionsMonitor<ChannelOptions> options,
    IInboundGateway gateway,
    IGrainFactory grains,
    IHttpClientFactory http,
    ILogger<TelegramPollingService> logger) : BackgroundService
{
    private static readonly TimeSpan ErrorPause = TimeSpan.FromSeconds(5);

    /// <summary>How long a standing-by node waits before asking for the lease again.</summary>
    private static readonly TimeSpan StandBy = TimeSpan.FromSeconds(5);

    private readonly string _node = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(options.CurrentValue.Tenants
            .Where(t => t.Value.Telegram is { Polls: true })
            .Select(t => PollForeverAsync(t.Key, t.Value.Telegram!, stoppingToken)));

    /// <summary>One getUpdates round: returns how many updates came, each accepted and then passed.</summary>
    public static async Task<int> PollOnceAsync(
        string tenantId, ITelegramBotClient bot, ITelegramOffsetGrain offset, IInboundGateway gateway, int timeoutSeconds, CancellationToken cancellationToken)
    {
        var from = await offset.GetAsync();
        var updates = await bot.GetUpdates((int)from, limit: 100, timeout: timeoutSeconds, allowedUpdates: [UpdateType.Message], cancellationToken: cancellationToken);
        foreach (var update in updates.OrderBy(u => u.Id))
        {
            if (TelegramUpdateParser.Parse(tenantId, update) is { } message)
                await gateway.AcceptMessageAsync(message);
            await offset.AdvanceAsync(update.Id + 1L);
        }
        return updates.Length;
    }

    /// <summary>Update ids count per bot, so the position belongs to the tenant's current bot (the id before the colon of its token).</summary>
    public static string OffsetKey(string tenantId, string botToken) => $"{tenantId}/{botToken.Split(':')[0]}";

    private async Task PollForeverAsync(string tenantId, TelegramSettings settings, CancellationToken stoppingToken)
    {
        if (TelegramAdapter.Client(settings, http) is not { } bot)
        {
            LogBadToken(tenantId);
            return;
        }
        var offset = grains.GetGrain<ITelegramOffsetGrain>(OffsetKey(tenantId, settings.BotToken));
        // The lease outlasts one long poll with room to spare, so the holder renews it before it runs out.
        var lease = TimeSpan.FromSeconds(settings.PollTimeoutSeconds + 30);
        var polling = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await offset.HoldAsync(_node, lease))
                {
                    polling = false;
                    await Task.Delay(StandBy, stoppingToken);
                    continue;
                }
                if (!polling)
                    LogPolling(tenantId);
                polling = true;
                await PollOnceAsync(tenantId, bot, offset, gateway, settings.PollTimeoutSeconds, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                var pause = e is ApiRequestException { Parameters.RetryAfter: { } seconds } ? TimeSpan.FromSeconds(seconds) : ErrorPause;
                LogPollFailed(e, tenantId, pause);
                try
                {
                    await Task.Delay(pause, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(LogLevel.Information, "Polling Telegram for tenant {TenantId} (this node holds the lease)")]
    private partial void LogPolling(string tenantId);

    [LoggerMessage(LogLevel.Error, "The Telegram bot token of tenant {TenantId} is malformed; not polling")]
    private partial void LogBadToken(string tenantId);

    [LoggerMessage(LogLevel.Warning, "Telegram polling for tenant {TenantId} failed; trying again in {Pause}")]
    private partial void LogPollFailed(Exception error, string tenantId, TimeSpan pause);
}
