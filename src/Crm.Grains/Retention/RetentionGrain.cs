using Microsoft.Extensions.Options;

namespace Crm.Grains;

[GrainType("retention")]
internal sealed class RetentionGrain(
    IRetentionStore store,
    IAuditLog audit,
    IOptions<RetentionOptions> options,
    TimeProvider clock) : Grain, IRetentionGrain, IRemindable
{
    public const string ReminderName = "retention";

    private string TenantId => this.GetPrimaryKeyString();

    public async Task<Result<RetentionPolicy>> SetPolicyAsync(RetentionPolicy policy, Actor actor)
    {
        var stored = await GrainFactory.GetGrain<ITenantGrain>(TenantId).SetRetentionAsync(policy, actor);
        if (!stored.IsOk)
            return stored;
        await (policy.IsEmpty ? StopAsync() : StartAsync());
        return stored;
    }

    private async Task StartAsync()
    {
        var period = options.Value.Period;
        await this.RegisterOrUpdateReminder(ReminderName, period, period);
    }

    private async Task StopAsync()
    {
        if (await this.GetReminder(ReminderName) is { } reminder)
            await this.UnregisterReminder(reminder);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != ReminderName)
            return;
        var policy = await GrainFactory.GetGrain<ITenantGrain>(TenantId).GetRetentionAsync();
        if (policy.IsEmpty)
        {
            await StopAsync();
            return;
        }
        await RunAsync(Actor.System(TenantId));
    }

    public async Task<RetentionRun> RunAsync(Actor actor)
    {
        var policy = await GrainFactory.GetGrain<ITenantGrain>(TenantId).GetRetentionAsync();
        var now = clock.Now();
        var run = new RetentionRun
        {
            At = now,
            MessagesBefore = RetentionRules.Cutoff(policy.MessageDays, now),
            AttachmentsBefore = RetentionRules.Cutoff(policy.AttachmentDays, now),
        };
        var batch = options.Value.BatchSize;
        run = run with
        {
            MessagesDeleted = run.MessagesBefore is { } m ? await store.DeleteMessagesAsync(TenantId, m, batch) : 0,
            AttachmentsDeleted = run.AttachmentsBefore is { } a ? await store.DeleteAttachmentsAsync(TenantId, a, batch) : 0,
        };
        if (run.MessagesBefore is { } expired)
            await ForgetPreviewsAsync(expired, batch);

        // The trail keeps the fact and the counts of the deletion, never what was deleted.
        var data = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["messages"] = run.MessagesDeleted,
            ["attachments"] = run.AttachmentsDeleted,
            ["messagesBefore"] = run.MessagesBefore,
            ["attachmentsBefore"] = run.AttachmentsBefore,
        });
        await audit.AppendAsync(AuditEvent.Of(actor, now, "retention.deleted", "tenant", TenantId, data: data));
        return run;
    }

    /// <summary>
    /// A chat whose last message expired keeps no text of it: the rows are cleared a batch at a time, and each of those
    /// chats is told, so one that is active drops the preview it holds in memory.
    /// </summary>
    private async Task ForgetPreviewsAsync(DateTimeOffset before, int batch)
    {
        const int concurrentChats = 32;
        while (true)
        {
            var cleared = await store.ClearExpiredPreviewsAsync(TenantId, before, batch);
            foreach (var chunk in cleared.Chunk(concurrentChats))
                await Task.WhenAll(chunk.Select(c => GrainFactory.GetGrain<IChatGrain>(Ids.Key(TenantId, c.ClientId)).ForgetPreviewAsync(c.Seq)));
            if (cleared.Count < batch)
                return;
        }
    }
}
