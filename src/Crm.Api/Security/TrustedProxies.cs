using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Crm.Api;

/// <summary>
/// The proxies (ingress, load balancer, TLS terminator) whose <c>X-Forwarded-For</c>, <c>X-Forwarded-Proto</c> and
/// <c>X-Forwarded-Host</c> headers are believed, from <c>Crm:ForwardedHeaders</c>. With none configured the headers
/// are ignored, so a client cannot choose the address its rate limits count against.
/// </summary>
public sealed class ForwardedHeadersSettings
{
    public const string SectionName = "Crm:ForwardedHeaders";

    /// <summary>Addresses of single proxies, e.g. <c>10.0.0.5</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks the proxies are in, in CIDR notation, e.g. <c>10.0.0.0/8</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];
}

public static class TrustedProxies
{
    /// <summary>
    /// Trusts exactly the configured proxies (ASP.NET Core would trust loopback by default). The chain of
    /// <c>X-Forwarded-For</c> is walked from the right while each hop is a known proxy, so a client's own
    /// <c>X-Forwarded-For</c> entries in front of the proxy's are never taken for its address.
    /// </summary>
    public static IServiceCollection AddCrmForwardedHeaders(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(ForwardedHeadersSettings.SectionName).Get<ForwardedHeadersSettings>() ?? new ForwardedHeadersSettings();
        var proxies = settings.KnownProxies.Where(p => !string.IsNullOrWhiteSpace(p))
            .Select(p => IPAddress.TryParse(p.Trim(), out var address) ? address
                : throw new InvalidOperationException($"{ForwardedHeadersSettings.SectionName}:KnownProxies: '{p}' is not an IP address."))
            .ToList();
        var networks = settings.KnownNetworks.Where(n => !string.IsNullOrWhiteSpace(n))
            .Select(n => System.Net.IPNetwork.TryParse(n.Trim(), out var network) ? network
                : throw new InvalidOperationException($"{ForwardedHeadersSettings.SectionName}:KnownNetworks: '{n}' is not a network in CIDR notation (10.0.0.0/8)."))
            .ToList();
        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            proxies.ForEach(o.KnownProxies.Add);
            networks.ForEach(o.KnownIPNetworks.Add);
            o.ForwardedHeaders = proxies.Count + networks.Count == 0 ? ForwardedHeaders.None
                : ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            o.ForwardLimit = null;
        });
        return services;
    }
}
