using System.Security.Claims;
using Crm.Grains;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Crm.Api;

public sealed record SignInRequest(string? Email, string? Password);

public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

/// <summary>Sign-in for people (the agent console): a session cookie instead of an API key.</summary>
public static partial class SessionEndpoints
{
    public const string SignInLimit = "sign-in";

    public static void MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Sign-in");
        api.MapPost("/session", SignInAsync).AllowAnonymous().RequireRateLimiting(SignInLimit);
        api.MapGet("/session", SessionAsync).RequireAuthorization();
        api.MapDelete("/session", SignOutAsync).RequireAuthorization();
        api.MapPut("/me/password", ChangePasswordAsync).RequireAuthorization().RequireRateLimiting(SignInLimit);
    }

    public static async Task<IResult> SignInAsync(
        SignInRequest body, HttpContext http, IGrainFactory grains, IAuditLog audit, IOptions<RateLimitOptions> limits, TimeProvider clock, ILoggerFactory logs)
    {
        var email = SignInRules.NormalizeEmail(body.Email, new Errors());
        var address = email is null ? null : grains.GetGrain<IUserEmailGrain>(email);
        if (address is not null && await address.LockedUntilAsync() is { } lockedUntil)
        {
            http.Response.Headers.RetryAfter = Http.RetryAfter(lockedUntil - clock.GetUtcNow());
            return TypedResults.Problem("Too many failed sign-ins for this email; try again later.", statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests.");
        }
        var owner = address is null ? null : await address.FindAsync();
        var tenant = owner is null ? null : grains.GetGrain<ITenantGrain>(owner.TenantId);
        var hash = tenant is null ? null : await tenant.GetPasswordHashAsync(owner!.UserId);
        if (!Passwords.Verify(hash, body.Password ?? ""))
        {
            if (owner is not null)
            {
                var who = new Actor { TenantId = owner.TenantId, UserId = owner.UserId, KeyId = "sign-in" };
                await audit.AppendAsync(AuditEvent.Of(who, clock.Now(), "user.sign_in_failed", "user", owner.UserId));
            }
            if (address is not null)
                await address.SignInFailedAsync(limits.Value.SignInFailuresPerEmail);
            Log.SignInFailed(logs.CreateLogger(nameof(SessionEndpoints)), owner?.UserId ?? "(unknown email)");
            return Failed();
        }
        await address!.SignInSucceededAsync();

        var started = await tenant!.StartSessionAsync(owner!.UserId);
        if (!started.IsOk)
            return Failed();
        await http.SignInAsync(CookieSessions.SchemeName, CookieSessions.Principal(started.Value!));
        return TypedResults.Ok(await DescribeAsync(grains, started.Value!.Actor));
    }

    public static async Task<IResult> SessionAsync(HttpContext http, IGrainFactory grains, IAntiforgery antiforgery, ClaimsPrincipal user)
    {
        if (user.IsInRole(Permissions.SystemRole))
            return TypedResults.Ok(new { userId = "system", role = Permissions.SystemRole });
        var tokens = antiforgery.GetAndStoreTokens(http);
        var me = await DescribeAsync(grains, user.Actor());
        return TypedResults.Ok(me with { AntiforgeryHeader = tokens.HeaderName, AntiforgeryToken = tokens.RequestToken });
    }

    public static async Task<IResult> SignOutAsync(HttpContext http, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (user.IsSession())
        {
            var actor = user.Actor();
            await grains.GetGrain<ITenantGrain>(actor.TenantId).EndSessionAsync(actor.UserId, actor.KeyId);
            await http.SignOutAsync(CookieSessions.SchemeName);
        }
        return TypedResults.NoContent();
    }

    public static async Task<IResult> ChangePasswordAsync(ChangePasswordRequest body, HttpContext http, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (user.IsInRole(Permissions.SystemRole))
            return TypedResults.Forbid();
        var errors = new Errors();
        SignInRules.ValidatePassword(body.NewPassword, errors, "newPassword");
        if (errors.Any)
            return Http.Invalid(errors);
        var actor = user.Actor();
        var tenant = grains.GetGrain<ITenantGrain>(actor.TenantId);
        if (!Passwords.Verify(await tenant.GetPasswordHashAsync(actor.UserId), body.CurrentPassword ?? ""))
            return Http.Invalid("currentPassword", "This is not your current password.");

        var result = await tenant.SetPasswordAsync(actor.UserId, Passwords.Hash(body.NewPassword!), actor);
        // A new password ends every session, this one too: the browser that changed it gets a fresh one.
        if (result.IsOk && user.IsSession() && await tenant.StartSessionAsync(actor.UserId) is { IsOk: true } started)
            await http.SignInAsync(CookieSessions.SchemeName, CookieSessions.Principal(started.Value!));
        return Http.From(result, _ => TypedResults.NoContent());
    }

    internal static async Task<Me> DescribeAsync(IGrainFactory grains, Actor actor)
    {
        var tenant = grains.GetGrain<ITenantGrain>(actor.TenantId);
        var info = await tenant.GetUserAsync(actor.UserId);
        var tenantInfo = await tenant.GetAsync();
        return new Me(actor.TenantId, tenantInfo?.Name, actor.UserId, info?.Name, info?.Email, EnumText.Of(actor.Role),
            Permissions.ByRole[actor.Role].Select(p => p.ToString()).Order(StringComparer.Ordinal).ToList(), null, null);
    }

    private static IResult Failed() =>
        TypedResults.Problem("The email or password is wrong.", statusCode: StatusCodes.Status401Unauthorized, title: "Sign-in failed.");

    /// <summary>The signed-in person; the antiforgery token is what a cookie caller sends back on unsafe requests.</summary>
    public sealed record Me(string TenantId, string? TenantName, string UserId, string? Name, string? Email, string Role,
        IReadOnlyList<string> Permissions, string? AntiforgeryHeader, string? AntiforgeryToken);

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Information, "Sign-in refused for {UserId}")]
        public static partial void SignInFailed(ILogger logger, string userId);
    }
}
