using Microsoft.Extensions.Options;

namespace Crm.Providers.Tests.Website;

internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

internal sealed class FixedOptions(ChannelOptions value) : IOptionsMonitor<ChannelOptions>
{
    public ChannelOptions CurrentValue => value;

    public ChannelOptions Get(string? name) => value;

    public IDisposable? OnChange(Action<ChannelOptions, string?> listener) => null;
}
