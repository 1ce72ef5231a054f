namespace Crm.Api;

/// <summary>
/// Where people reach the API: <c>Crm:Channels:PublicBaseUrl</c> when it is set, else the (forwarded) request's own
/// scheme and host. Links the API hands out are built on it, and an https address makes the cookies <c>Secure</c>.
/// </summary>
public static class PublicUrl
{
    public const string Setting = "Crm:Channels:PublicBaseUrl";

    public static string? Configured(IConfiguration configuration) =>
        configuration[Setting] is { } url && !string.IsNullOrWhiteSpace(url) ? url.Trim().TrimEnd('/') : null;

    public static bool IsHttps(IConfiguration configuration) =>
        Configured(configuration)?.StartsWith("https://", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>The absolute URL of <paramref name="pathAndFragment"/> (starting with '/').</summary>
    public static string For(HttpRequest request, string pathAndFragment) =>
        (Configured(request.HttpContext.RequestServices.GetRequiredService<IConfiguration>())
            ?? $"{request.Scheme}://{request.Host}{request.PathBase}") + pathAndFragment;
}
