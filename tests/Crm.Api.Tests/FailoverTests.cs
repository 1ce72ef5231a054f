using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace Crm.Api.Tests;

/// <summary>
/// The cluster of <c>./crm cluster 3</c>: three Crm.Silo.Host processes and the API as their Orleans client, on
/// PostgreSQL membership. The silo that holds the tenant's grain (which every API-key check of the tenant goes
/// through, the hardest case) is killed with SIGKILL while webhooks come in and agents send: nothing acknowledged is
/// lost or doubled, no message is sent twice, webhooks are acknowledged throughout and the tenant is served again
/// within 30 s through the two silos that are left.
/// </summary>
[Collection(ProcessClusterCollection.Name)]
public sealed class FailoverTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Chats = 12;
    private static readonly TimeSpan LoadBeforeKill = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan LoadAfterKill = TimeSpan.FromSeconds(35);

    [Fact]
    public async Task KillingOneOfThreeSilosUnderLoadLosesNothingAndTheClusterServesAgainWithin30Seconds()
    {
        await using var cluster = await ProcessCluster.StartAsync("Failover", 3, output);
        var (db, api, tenantId) = (cluster.Db, cluster.Api, cluster.TenantId);
        using var http = api.Client(cluster.Key);
        var chatIds = await ProcessCluster.CreateChatsAsync(http, [.. Enumerable.Range(0, Chats).Select(i => $"+1415555{6000 + i}")]);

        var victim = await cluster.HostOfTenantGrainAsync();
        // Providers sign their webhooks and send no API key: they need no grain to be acknowledged.
        using var provider = api.Client();
        var load = new Load(api, http, provider, tenantId, chatIds);
        var running = load.RunAsync(LoadBeforeKill + LoadAfterKill);
        await Task.Delay(LoadBeforeKill);
        var killedAt = load.Elapsed;
        victim.Kill();
        await running;

        // Every chat answers again: the grains of the dead silo live on the others.
        var servedAgainAfter = load.ServedAgainAfter(killedAt);
        output.WriteLine($"killed at {killedAt.TotalSeconds:F1} s (silo {cluster.Silos.ToList().IndexOf(victim)} of 3, holding the tenant's grain); every chat served again {servedAgainAfter.TotalSeconds:F1} s later; {load}");
        output.WriteLine(load.Timeline(killedAt));
        await Channel.EventuallyAsync(() => ProcessScenario.ScalarAsync(db, "select count(distinct provider_message_id) from messages where tenant_id = $1 and direction = 'inbound'", tenantId),
            n => n >= load.AcknowledgedWebhooks.Count, "every acknowledged webhook is stored", seconds: 120);
        var (delivered, interrupted) = await cluster.AssertEverySendDeliveredOnceAsync(load.QueuedSends, load.UnansweredSends, maxInterrupted: Chats);

        Assert.True(load.AcknowledgedWebhooks.Count > 50 && load.QueuedSends.Count > 20, $"too little load: {load}");
        Assert.Equal(load.AcknowledgedWebhooks.Count, await ProcessScenario.ScalarAsync(db, "select count(*) from messages where tenant_id = $1 and direction = 'inbound'", tenantId));
        output.WriteLine($"{delivered} delivered once, {interrupted} interrupted");
        Assert.True(servedAgainAfter < TimeSpan.FromSeconds(30), $"served again {servedAgainAfter.TotalSeconds:F1} s after the kill; {load}\n{load.Timeline(killedAt)}");
        for (var second = 0; second < 30; second += 5)
            Assert.True(load.WebhooksAcknowledgedWithin(killedAt + TimeSpan.FromSeconds(second), TimeSpan.FromSeconds(5)) > 0,
                $"no webhook acknowledged {second}-{second + 5} s after the kill; {load}\n{load.Timeline(killedAt)}");
    }

    /// <summary>
    /// Webhooks from new senders and sends to known chats, a few per 100 ms, each answer recorded with its time:
    /// the webhooks need only the database (the API enqueues them), the sends need the chat's grain.
    /// </summary>
    private sealed class Load(CrmProcess api, HttpClient http, HttpClient provider, string tenantId, IReadOnlyList<string> chatIds)
    {
        private readonly Stopwatch _clock = new();
        private readonly ConcurrentQueue<(TimeSpan At, string ChatId, bool Ok)> _chatAnswers = new();
        private readonly ConcurrentQueue<(TimeSpan At, bool Ok)> _webhookAnswers = new();
        private readonly ConcurrentBag<string> _webhooks = [];
        private readonly ConcurrentBag<string> _sends = [];
        private readonly ConcurrentBag<string> _unanswered = [];
        private readonly ConcurrentBag<HttpStatusCode> _refused = [];

        public TimeSpan Elapsed => _clock.Elapsed;

        public IReadOnlyCollection<string> AcknowledgedWebhooks => _webhooks;

        public IReadOnlyCollection<string> QueuedSends => _sends;

        /// <summary>Sends answered 503 or not at all: a grain call that timed out may still have been carried out.</summary>
        public IReadOnlyCollection<string> UnansweredSends => _unanswered;

        public async Task RunAsync(TimeSpan duration)
        {
            _clock.Start();
            var round = 0;
            var inFlight = new List<Task>();
            while (_clock.Elapsed < duration)
            {
                round++;
                inFlight.Add(WebhookAsync($"+1415556{round:D4}", $"question {round}"));
                var chatId = chatIds[round % chatIds.Count];
                inFlight.Add(SendAsync(chatId, $"answer {round} to {chatId}"));
                await Task.Delay(100);
            }
            await Task.WhenAll(inFlight);
        }

        /// <summary>How long after <paramref name="killedAt"/> until every chat had answered a send successfully.</summary>
        public TimeSpan ServedAgainAfter(TimeSpan killedAt) =>
            chatIds.Max(id => _chatAnswers.Where(a => a.ChatId == id && a.Ok && a.At > killedAt).Select(a => a.At).DefaultIfEmpty(TimeSpan.MaxValue).Min()) - killedAt;

        public int WebhooksAcknowledgedWithin(TimeSpan from, TimeSpan window) => _webhookAnswers.Count(a => a.Ok && a.At > from && a.At < from + window);

        /// <summary>Per second from the kill: sends and webhooks answered ok/failed, for a failing run to show what happened when.</summary>
        public string Timeline(TimeSpan killedAt)
        {
            int Second(TimeSpan at) => (int)Math.Floor((at - killedAt).TotalSeconds);
            var sends = _chatAnswers.GroupBy(a => Second(a.At)).ToDictionary(g => g.Key, g => (Ok: g.Count(a => a.Ok), Failed: g.Count(a => !a.Ok)));
            var webhooks = _webhookAnswers.GroupBy(a => Second(a.At)).ToDictionary(g => g.Key, g => (Ok: g.Count(a => a.Ok), Failed: g.Count(a => !a.Ok)));
            var seconds = sends.Keys.Union(webhooks.Keys).Where(s => s >= -1).Order();
            return "second after the kill: sends ok/failed, webhooks ok/failed\n" + string.Join('\n', seconds.Select(s =>
                $"{s,4}: {sends.GetValueOrDefault(s).Ok}/{sends.GetValueOrDefault(s).Failed}, {webhooks.GetValueOrDefault(s).Ok}/{webhooks.GetValueOrDefault(s).Failed}"));
        }

        public override string ToString() =>
            $"{_webhooks.Count} webhooks acknowledged, {_refused.Count} refused ({string.Join(",", _refused.Distinct())}); {_sends.Count} sends queued, {_unanswered.Count} unanswered; chat answers ok/failed {_chatAnswers.Count(a => a.Ok)}/{_chatAnswers.Count(a => !a.Ok)}";

        private async Task WebhookAsync(string from, string text)
        {
            var (sid, status) = await ProcessScenario.TryPostSmsAsync(api, provider, tenantId, from, text);
            _webhookAnswers.Enqueue((_clock.Elapsed, status == HttpStatusCode.OK));
            if (status == HttpStatusCode.OK)
                _webhooks.Add(sid);
            else
                _refused.Add(status);
        }

        private async Task SendAsync(string chatId, string text)
        {
            var status = await ProcessScenario.TrySendAsync(http, chatId, text);
            _chatAnswers.Enqueue((_clock.Elapsed, chatId, status == HttpStatusCode.Accepted));
            if (status == HttpStatusCode.Accepted)
                _sends.Add(text);
            else if (status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.RequestTimeout)
                _unanswered.Add(text);
        }
    }
}
