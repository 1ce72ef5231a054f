using Microsoft.Extensions.Logging;

namespace Crm.Grains;

/// <summary>
/// The safety net of every chat's outbox, one for the cluster: a message queued or in flight on a silo that died is in
/// <c>messages</c> (its outbox columns) and nowhere else, and nothing would activate its chat again until someone
/// touched it. Once a minute (an Orleans reminder, so the sweep survives the silo it runs on) this wakes each chat
/// whose outbox is overdue; the chat's activation loads the outbox and runs it, marking an attempt whose report never
/// came as interrupted. Before it, each chat with an outbox registered a reminder of its own (a row written per
/// activation, on the send's path).
/// </summary>
[GrainType("outbox-sweep")]
internal sealed partial class OutboxSweepGrain(IChatStore store, ILogger<OutboxSweepGrain> logger) : Grain, IOutboxSweepGrain, IRemindable
{
    private const string ReminderName = "outbox-sweep";

    /// <summary>Longer than any active chat takes to run a due entry (its timer fires at the entry's time).</summary>
    internal static readonly TimeSpan OverdueFor = TimeSpan.FromSeconds(30);

    private const int ChatsPerSweep = 1000;

    public async Task StartAsync() =>
        await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == ReminderName)
            await SweepAsync();
    }

    public async Task<int> SweepAsync()
    {
        var overdue = await store.OverdueOutboxesAsync(OverdueFor, ChatsPerSweep);
        var woken = await Task.WhenAll(overdue.Select(async chat =>
        {
            try
            {
                var clientId = Ids.ClientIdOfChat(chat.ChatId) ?? throw new InvalidDataException($"'{chat.ChatId}' is not a chat id.");
                await GrainFactory.GetGrain<IChatGrain>(Ids.Key(chat.TenantId, clientId)).WakeAsync();
                return 1;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The next sweep tries again.
                LogWakeFailed(logger, e, chat.TenantId, chat.ChatId);
                return 0;
            }
        }));
        if (overdue.Count > 0)
            LogSwept(logger, woken.Sum(), overdue.Count);
        return woken.Sum();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "The outbox sweep woke {Woken} of {Overdue} chats with an overdue outbox")]
    private static partial void LogSwept(ILogger logger, int woken, int overdue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The outbox sweep could not wake chat {ChatId} of tenant {TenantId}")]
    private static partial void LogWakeFailed(ILogger logger, Exception exception, string tenantId, string chatId);
}

/// <summary>The cluster's outbox sweep (key 0); every silo starts it as it starts.</summary>
public interface IOutboxSweepGrain : IGrainWithIntegerKey
{
    /// <summary>Registers the sweep's reminder (once a minute); calling it again changes nothing.</summary>
    Task StartAsync();

    /// <summary>Wakes every chat whose outbox is overdue now; the number woken.</summary>
    Task<int> SweepAsync();
}
