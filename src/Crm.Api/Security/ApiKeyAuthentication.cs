using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Crm.Grains;
using Crm.Silo;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Crm.Api;

/// <summary>
/// Resolves <c>Authorization: Bearer &lt;key&gt;</c> to tenant, user and role; the tenant never comes from the request.
/// The key is checked against this node's <see cref="CredentialCache"/>, which asks the tenant grain only on a miss.
/// </summary>
internal sealed class ApiKeyAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    CredentialCache credentials,
    SystemKey systemKey) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string TenantClaim = "crm:tenant";
    public const string UserClaim = "crm:user";
    public const string KeyClaim = "crm:key";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.NoResult();
        var key = header["Bearer ".Length..].Trim();

        if (systemKey.Matches(key))
            return Success(new Claim(ClaimTypes.Role, Permissions.SystemRole), new Claim(UserClaim, "system"), new Claim(KeyClaim, "system"));
        if (!ApiKeys.TryParse(key, out var tenantId, out var userId, out var secret))
            return AuthenticateResult.Fail("Unknown API key.");
        var actor = Credentials.ForKey(await credentials.GetAsync(tenantId, userId), ApiKeys.Hash(secret));
        if (actor is null)
            return AuthenticateResult.Fail("Unknown API key.");
        return Success(
            new Claim(ClaimTypes.Role, EnumText.Of(actor.Role)),
            new Claim(TenantClaim, actor.TenantId),
            new Claim(UserClaim, actor.UserId),
            new Claim(KeyClaim, actor.KeyId));
    }

    private AuthenticateResult Success(params Claim[] claims) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
}

/// <summary>
/// The system key's hash, read from configuration once: binding the options and hashing both keys on every
/// request was a fifth of the API's CPU time in the read benchmarks.
/// </summary>
internal sealed class SystemKey(IConfiguration configuration)
{
    private readonly byte[]? _hash = configuration.GetCrmOptions().SystemKey is { Length: > 0 } key ? Hash(key) : null;

    public bool Matches(string key) => _hash is not null && CryptographicOperations.FixedTimeEquals(Hash(key), _hash);

    private static byte[] Hash(string text) => SHA256.HashData(Encoding.UTF8.GetBytes(text));
}

public static class PrincipalExtensions
{
    public static Actor Actor(this ClaimsPrincipal user) => new()
    {
        TenantId = user.FindFirstValue(ApiKeyAuthentication.TenantClaim) ?? throw new InvalidOperationException("No tenant on this principal."),
        UserId = user.FindFirstValue(ApiKeyAuthentication.UserClaim)!,
        Role = EnumText.TryParse<Role>(user.FindFirstValue(ClaimTypes.Role), out var role) ? role : throw new InvalidOperationException("No role on this principal."),
        KeyId = user.FindFirstValue(ApiKeyAuthentication.KeyClaim)!,
    };

    public static string TenantId(this ClaimsPrincipal user) => user.Actor().TenantId;
}

public static class AuthorizationSetup
{
    public static IServiceCollection AddCrmAuthorization(this IServiceCollection services)
    {
        services.AddSingleton<SystemKey>();
        services.AddSingleton(sp =>
        {
            var grains = sp.GetRequiredService<IGrainFactory>();
            return new CredentialCache((tenantId, userId) => grains.GetGrain<ITenantGrain>(tenantId).GetCredentialsAsync(userId), sp.GetRequiredService<TimeProvider>());
        });
        services.AddHostedService<CredentialLeaseRenewal>();
        services.AddAuthentication(CookieSessions.DefaultScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null)
            .AddCookieSessions();
        services.AddAuthorization(options =>
        {
            foreach (var permission in Enum.GetValues<Permission>())
                options.AddPolicy(permission.ToString(), p => p.RequireAuthenticatedUser()
                    .RequireAssertion(ctx => Permissions.Allows(ctx.User.FindFirstValue(ClaimTypes.Role), permission)));
        });
        return services;
    }

    public static TBuilder Require<TBuilder>(this TBuilder builder, Permission permission) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(permission.ToString());
}
