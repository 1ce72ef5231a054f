using System.Security.Claims;
using Crm.Grains;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;

namespace Crm.Api;

/// <summary>
/// People in a browser: an HttpOnly, SameSite=Strict cookie names a session the tenant grain keeps, and is
/// checked on every request against this node's <see cref="CredentialCache"/>, which drops the user the moment
/// the session, the role or the user changes, so sign-out, a password reset or deactivation end it at once.
/// Unsafe requests on a cookie also need the antiforgery header; API-key requests never do.
/// </summary>
public static class CookieSessions
{
    public const string SchemeName = "Session";
    public const string DefaultScheme = "ApiKeyOrSession";
    public const string CookieName = "crm_session";
    public const string AntiforgeryHeader = "X-CSRF-TOKEN";
    private const string SecretClaim = "crm:session-secret";

    public static AuthenticationBuilder AddCookieSessions(this AuthenticationBuilder builder)
    {
        builder.Services.AddAntiforgery(o =>
        {
            o.HeaderName = AntiforgeryHeader;
            o.Cookie.Name = "crm_antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
        });
        builder.Services.AddOptions<AntiforgeryOptions>()
            .Configure<IConfiguration>((o, configuration) => o.Cookie.SecurePolicy = SecurePolicy(configuration));
        builder.Services.AddOptions<CookieAuthenticationOptions>(SchemeName)
            .Configure<IConfiguration>((o, configuration) => o.Cookie.SecurePolicy = SecurePolicy(configuration));
        builder.AddPolicyScheme(DefaultScheme, null, o => o.ForwardDefaultSelector = http =>
            http.Request.Headers.Authorization.Count > 0 ? ApiKeyAuthentication.SchemeName : SchemeName);
        return builder.AddCookie(SchemeName, o =>
        {
            o.Cookie.Name = CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.ExpireTimeSpan = TimeSpan.FromHours(12);
            o.SlidingExpiration = true;
            o.Events.OnRedirectToLogin = context => Status(context, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = context => Status(context, StatusCodes.Status403Forbidden);
            o.Events.OnValidatePrincipal = ValidateAsync;
        });
    }

    /// <summary>
    /// <c>Secure</c> when the public address is https, else whenever the request came over https (behind a TLS
    /// terminator, as its trusted <c>X-Forwarded-Proto</c> says): a cookie of an https site never travels in clear.
    /// </summary>
    private static CookieSecurePolicy SecurePolicy(IConfiguration configuration) =>
        PublicUrl.IsHttps(configuration) ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;

    public static ClaimsPrincipal Principal(SessionStarted session) => Principal(session.Actor, session.Secret);

    /// <summary>The session id doubles as the key id of the audit trail; the secret lives only in the encrypted cookie.</summary>
    private static ClaimsPrincipal Principal(Actor actor, string secret) => new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, actor.UserId),
            new Claim(ClaimTypes.Role, EnumText.Of(actor.Role)),
            new Claim(ApiKeyAuthentication.TenantClaim, actor.TenantId),
            new Claim(ApiKeyAuthentication.UserClaim, actor.UserId),
            new Claim(ApiKeyAuthentication.KeyClaim, actor.KeyId),
            new Claim(SecretClaim, secret),
        ],
        SchemeName));

    public static bool IsSession(this ClaimsPrincipal user) => user.Identity is { IsAuthenticated: true, AuthenticationType: SchemeName };

    /// <summary>Re-reads the session and the user's current role (from the cache, else the tenant grain).</summary>
    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal!;
        var tenantId = principal.FindFirstValue(ApiKeyAuthentication.TenantClaim);
        var userId = principal.FindFirstValue(ApiKeyAuthentication.UserClaim);
        var sessionId = principal.FindFirstValue(ApiKeyAuthentication.KeyClaim);
        var secret = principal.FindFirstValue(SecretClaim);
        Actor? actor = null;
        if (Ids.IsWellFormed(tenantId) && Ids.IsWellFormed(userId) && sessionId is not null && secret is not null)
        {
            var credentials = context.HttpContext.RequestServices.GetRequiredService<CredentialCache>();
            actor = Credentials.ForSession(await credentials.GetAsync(tenantId!, userId!), sessionId, ApiKeys.Hash(secret));
        }
        if (actor is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(SchemeName);
            return;
        }
        context.ReplacePrincipal(Principal(actor, secret!));
    }

    /// <summary>Refuses an unsafe request made with the session cookie but without a valid antiforgery header.</summary>
    public static IApplicationBuilder UseSessionAntiforgery(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var method = http.Request.Method;
        var safe = HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);
        // Sign-in itself is anonymous: a browser still holding an old cookie must be able to sign in again.
        var anonymous = http.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null;
        if (!safe && !anonymous && http.User.IsSession() && !await http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http))
        {
            await Http.WriteProblemAsync(http, StatusCodes.Status403Forbidden, "Missing or invalid antiforgery token.",
                $"A request signed in with the session cookie sends the token of GET /api/v1/session in the {AntiforgeryHeader} header.");
            return;
        }
        await next(http);
    });

    private static Task Status(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    }
}
