using Crm.Grains;
using Microsoft.Extensions.Options;

namespace Crm.Providers;

/// <summary>Sends each message through the adapter configured for its tenant and transport.</summary>
public sealed class ChannelRouter(IEnumerable<ITransportAdapter> adapters, IOptionsMonitor<ChannelOptions> options) : IChannelSender
{
    public Task<SendOutcome> SendAsync(OutboundEnvelope envelope, CancellationToken cancellationToken)
    {
        var channels = options.CurrentValue.For(envelope.TenantId);
        var adapter = adapters.FirstOrDefault(a => a.Serves(envelope.Transport, channels));
        return adapter is null
            ? Task.FromResult(SendOutcome.Failed("channel_not_configured", $"No {EnumText.Of(envelope.Transport)} provider is configured for this tenant."))
            : adapter.SendAsync(envelope, channels, cancellationToken);
    }
}
