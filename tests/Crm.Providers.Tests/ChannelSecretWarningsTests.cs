using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Providers.Tests;

public sealed class ChannelSecretWarningsTests
{
    private const string LongEnough = "a-widget-secret-of-32-characters";

    [Fact]
    public async Task EachTooShortSecretIsNamedInAWarningAtStartAndAfterAChange()
    {
        var options = new ChangingOptions(Settings(new TenantChannels
        {
            Telegram = new TelegramSettings { BotToken = "1:a", SecretToken = "fifteen_chars_x" },
            Widget = new WidgetSettings { SiteKey = "pk", TokenSecret = LongEnough, SiteSecret = "short" },
        }));
        var logger = new RecordingLogger();
        var warnings = new ChannelSecretWarnings(options, logger);

        await warnings.StartAsync(CancellationToken.None);
        var atStart = logger.Take();
        options.Change(Settings(new TenantChannels { Widget = new WidgetSettings { SiteKey = "pk", TokenSecret = "t" } }));
        var afterChange = logger.Take();
        options.Change(Settings(new TenantChannels
        {
            Telegram = new TelegramSettings { BotToken = "1:a", SecretToken = "sixteen_chars_xy" },
            Widget = new WidgetSettings { SiteKey = "pk", TokenSecret = LongEnough, SiteSecret = LongEnough },
        }));
        var whenFixed = logger.Take();
        await warnings.StopAsync(CancellationToken.None);

        Assert.Equal(2, atStart.Count);
        Assert.Contains(atStart, w => w.Contains("Crm:Channels:Tenants:tn_1:Telegram:SecretToken", StringComparison.Ordinal));
        Assert.Contains(atStart, w => w.Contains("Crm:Channels:Tenants:tn_1:Widget:SiteSecret", StringComparison.Ordinal));
        Assert.Contains("Crm:Channels:Tenants:tn_1:Widget:TokenSecret", Assert.Single(afterChange), StringComparison.Ordinal);
        Assert.Empty(whenFixed);
        Assert.DoesNotContain(atStart, w => w.Contains("fifteen_chars_x", StringComparison.Ordinal));
    }

    [Fact]
    public void APollingBotNeedsNoSecretToken()
    {
        var problems = ChannelSecretRules.Problems("tn_1", new TenantChannels { Telegram = new TelegramSettings { BotToken = "1:a", Mode = "polling" } });

        Assert.Empty(problems);
    }

    private static ChannelOptions Settings(TenantChannels channels)
    {
        var options = new ChannelOptions();
        options.Tenants["tn_1"] = channels;
        return options;
    }

    private sealed class ChangingOptions(ChannelOptions initial) : IOptionsMonitor<ChannelOptions>
    {
        private readonly List<Action<ChannelOptions, string?>> listeners = [];

        public ChannelOptions CurrentValue { get; private set; } = initial;

        public ChannelOptions Get(string? name) => CurrentValue;

        public IDisposable? OnChange(Action<ChannelOptions, string?> listener)
        {
            listeners.Add(listener);
            return null;
        }

        public void Change(ChannelOptions value)
        {
            CurrentValue = value;
            foreach (var listener in listeners)
                listener(value, null);
        }
    }

    private sealed class RecordingLogger : ILogger<ChannelSecretWarnings>
    {
        private readonly List<string> warnings = [];

        public List<string> Take()
        {
            var taken = warnings.ToList();
            warnings.Clear();
            return taken;
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
                warnings.Add(formatter(state, exception));
        }
    }
}
