namespace Crm.Providers;

/// <summary>
/// Sends every request to another scheme, host and port (keeping the path), for SDKs that have no base-URL
/// setting: tests point them at a fake, and some setups at a regional or proxy endpoint.
/// </summary>
public sealed class BaseUrlHandler(Uri baseUrl) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { } original)
        {
            request.RequestUri = new UriBuilder(original)
            {
                Scheme = baseUrl.Scheme,
                Host = baseUrl.Host,
                Port = baseUrl.Port,
                Path = baseUrl.AbsolutePath.TrimEnd('/') + original.AbsolutePath,
            }.Uri;
        }
        return base.SendAsync(request, cancellationToken);
    }
}
