namespace Crm.Api;

/// <summary>
/// The agent console: static files under wwwroot (ES modules and CSS, no build step), served at <c>/</c>.
/// It uses the public API like any other client; the policy lets it load nothing from elsewhere.
/// </summary>
public static class ConsoleFiles
{
    private const string Policy =
        "default-src 'self'; img-src 'self' data: https:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    public static IApplicationBuilder UseConsole(this IApplicationBuilder app)
    {
        app.UseDefaultFiles();
        return app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = file =>
            {
                var headers = file.Context.Response.Headers;
                headers.ContentSecurityPolicy = Policy;
                headers.XContentTypeOptions = "nosniff";
                headers.CacheControl = "no-cache";
            },
        });
    }
}
