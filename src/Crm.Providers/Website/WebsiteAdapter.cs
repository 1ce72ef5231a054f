using Crm.Grains;

namespace Crm.Providers.Website;

/// <summary>
/// Website visitors read agent replies from their chat (the widget polls it), so a reply is delivered as
/// soon as it is stored: there is no provider to call.
/// </summary>
public sealed class WebsiteAdapter : ITransportAdapter
{
    public bool Serves(Transport transport, TenantChannels channels) =>
        transport == Transport.Website && channels.Widget is { } widget && WidgetSessions.IsUsable(widget);

    public Task<SendOutcome> SendAsync(OutboundEnvelope envelope, TenantChannels channels, CancellationToken cancellationToken) =>
        Task.FromResult(SendOutcome.Sent(null, MessageStatus.Sent));
}
