using Crm.Grains;
using Microsoft.Extensions.Options;

namespace Crm.Providers.Tests;

public sealed class ChannelRouterTests
{
    [Fact]
    public async Task ATransportWithoutAConfiguredProviderFailsWithAClearCode()
    {
        var router = new ChannelRouter([], new StaticOptions(new ChannelOptions()));

        var outcome = await router.SendAsync(new OutboundEnvelope { TenantId = "tn_1", Transport = Transport.Sms, To = "+14155550123", Text = "hi" }, CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Failed, "channel_not_configured"), (outcome.Kind, outcome.ErrorCode));
    }

    private sealed class StaticOptions(ChannelOptions value) : IOptionsMonitor<ChannelOptions>
    {
        public ChannelOptions CurrentValue => value;
        public ChannelOptions Get(string? name) => value;
        public IDisposable? OnChange(Action<ChannelOptions, string?> listener) => null;
    }
}
