using Crm.Grains;
using Crm.Testing;

namespace Crm.Providers.Tests;

public sealed class TelegramPollingServiceTests : IAsyncLifetime
{
    private const string BotToken = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";
    private FakeTelegram telegram = null!;
    private Providers providers = null!;

    public async Task InitializeAsync()
    {
        telegram = await FakeTelegram.StartAsync();
        providers = new Providers();
    }

    public async Task DisposeAsync()
    {
        providers.Dispose();
        await telegram.DisposeAsync();
    }

    private Telegram.Bot.TelegramBotClient Bot() =>
        TelegramAdapter.Client(new TelegramSettings { BotToken = BotToken, BaseUrl = telegram.BaseUrl.ToString() }, providers.Http)!;

    [Fact]
    public async Task EveryUpdateReachesTheGatewayOnceAndTheOffsetMovesPastIt()
    {
        telegram.Enqueue(TelegramUpdates.Text(500, 111, 1, "first"));
        telegram.Enqueue(TelegramUpdates.Edited(501, 111, 1, "first, edited"));
        telegram.Enqueue(TelegramUpdates.Text(502, 222, 1, "second"));
        var gateway = new RecordingGateway();
        var offset = new MemoryOffset();

        await TelegramPollingService.PollOnceAsync("tn_1", Bot(), offset, gateway, 0, CancellationToken.None);
        await TelegramPollingService.PollOnceAsync("tn_1", Bot(), offset, gateway, 0, CancellationToken.None);

        Assert.Equal(["first", "second"], gateway.Messages.Select(m => m.Text));
        Assert.Equal(503, offset.Value);
        Assert.Equal([0L, 503L], telegram.CallsOf("getUpdates").Select(c => c.Body.GetProperty("offset").GetInt64()));
    }

    [Fact]
    public async Task AnUpdateTheGatewayRefusedIsFetchedAgainAndNothingBeforeIt()
    {
        telegram.Enqueue(TelegramUpdates.Text(700, 111, 1, "first"));
        telegram.Enqueue(TelegramUpdates.Text(701, 111, 2, "second"));
        telegram.Enqueue(TelegramUpdates.Text(702, 111, 3, "third"));
        var gateway = new RecordingGateway { FailOn = "second" };
        var offset = new MemoryOffset();

        await Assert.ThrowsAsync<InvalidOperationException>(() => TelegramPollingService.PollOnceAsync("tn_1", Bot(), offset, gateway, 0, CancellationToken.None));
        var offsetAfterFailure = offset.Value;
        gateway.FailOn = null;
        await TelegramPollingService.PollOnceAsync("tn_1", Bot(), offset, gateway, 0, CancellationToken.None);

        Assert.Equal(701, offsetAfterFailure);
        Assert.Equal(["first", "second", "third"], gateway.Messages.Select(m => m.Text));
        Assert.Equal(703, offset.Value);
    }

    [Fact]
    public async Task PollingAsksOnlyForMessagesAndWaitsAsConfigured()
    {
        var offset = new MemoryOffset();
        await offset.AdvanceAsync(42);

        await TelegramPollingService.PollOnceAsync("tn_1", Bot(), offset, new RecordingGateway(), 0, CancellationToken.None);

        var call = Assert.Single(telegram.CallsOf("getUpdates"));
        Assert.Equal(BotToken, call.Token);
        Assert.Equal(42, call.Body.GetProperty("offset").GetInt64());
        Assert.Equal(["message"], call.Body.GetProperty("allowed_updates").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void TheOffsetBelongsToTheTenantsBot()
    {
        var key = TelegramPollingService.OffsetKey("tn_1", BotToken);

        Assert.Equal("tn_1/7000000001", key);
    }

    private sealed class RecordingGateway : IInboundGateway
    {
        public List<InboundMessage> Messages { get; } = [];

        public string? FailOn { get; set; }

        public Task AcceptMessageAsync(InboundMessage message)
        {
            if (message.Text == FailOn)
                throw new InvalidOperationException("The inbound stream is unavailable.");
            Messages.Add(message);
            return Task.CompletedTask;
        }

        public Task AcceptStatusAsync(StatusReport report) => Task.CompletedTask;
    }

    private sealed class MemoryOffset : ITelegramOffsetGrain
    {
        public long Value { get; private set; }

        public Task<long> GetAsync() => Task.FromResult(Value);

        public Task AdvanceAsync(long next)
        {
            Value = Math.Max(Value, next);
            return Task.CompletedTask;
        }

        public Task<bool> HoldAsync(string node, TimeSpan lease) => Task.FromResult(true);
    }
}
