using Crm.Grains;

namespace Crm.Providers;

/// <summary>One provider's sending side. The router picks the first adapter that serves the transport for the tenant.</summary>
public interface ITransportAdapter
{
    bool Serves(Transport transport, TenantChannels channels);

    Task<SendOutcome> SendAsync(OutboundEnvelope envelope, TenantChannels channels, CancellationToken cancellationToken);
}
