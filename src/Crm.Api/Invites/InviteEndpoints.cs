using System.Security.Claims;
using Crm.Grains;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Crm.Api;

public sealed class InviteOptions
{
    public const string SectionName = "Crm:Invites";

    /// <summary>How long an invitation link opens the account.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(7);
}

public sealed record AcceptInviteRequest(string? Password);

/// <summary>An invitation link as the admin hands it on: shown once, only its hash is kept.</summary>
public sealed record InviteLink(string Id, string Name, string? Email, string Role, string InviteUrl, DateTimeOffset InviteExpiresAt);

/// <summary>
/// Invitations by link: an admin invites a user by email and gets a one-time link; whoever opens it sets the
/// password and is signed in. The link's token names its tenant and user, so the public endpoints need neither.
/// </summary>
public static class InviteEndpoints
{
    public static IServiceCollection AddInvites(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptionsWithValidateOnStart<InviteOptions>()
            .Bind(configuration.GetSection(InviteOptions.SectionName))
            .Validate(o => o.Lifetime > TimeSpan.Zero, "Crm:Invites:Lifetime must be positive.");
        return services;
    }

    public static void MapInviteEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Sign-in");
        api.MapGet("/invites/{token}", FindAsync).AllowAnonymous().RequireRateLimiting(SessionEndpoints.SignInLimit);
        api.MapPost("/invites/{token}/accept", AcceptAsync).AllowAnonymous().RequireRateLimiting(SessionEndpoints.SignInLimit);
        api.MapPut("/users/{id}/invite", ReinviteAsync).Require(Permission.ManageUsers);
    }

    /// <summary>Whom the link invites; an unknown, used, replaced or expired link gets the same 404.</summary>
    public static async Task<IResult> FindAsync(string token, IGrainFactory grains)
    {
        if (!InviteTokens.TryParse(token, out var tenantId, out var userId, out var secretHash))
            return NotOpen();
        var invitation = await grains.GetGrain<ITenantGrain>(tenantId).FindInvitationAsync(userId, secretHash);
        return invitation is null ? NotOpen() : TypedResults.Ok(invitation);
    }

    /// <summary>Sets the password, consumes the link and signs the person in, as <c>POST /api/v1/session</c> would.</summary>
    public static async Task<IResult> AcceptAsync(string token, AcceptInviteRequest body, HttpContext http, IGrainFactory grains)
    {
        var errors = new Errors();
        SignInRules.ValidatePassword(body.Password, errors);
        if (errors.Any)
            return Http.Invalid(errors);
        if (!InviteTokens.TryParse(token, out var tenantId, out var userId, out var secretHash))
            return NotOpen();

        var started = await grains.GetGrain<ITenantGrain>(tenantId).AcceptInvitationAsync(userId, secretHash, Passwords.Hash(body.Password!));
        if (!started.IsOk)
            return NotOpen();
        await http.SignInAsync(CookieSessions.SchemeName, CookieSessions.Principal(started.Value!));
        return TypedResults.Ok(await SessionEndpoints.DescribeAsync(grains, started.Value!.Actor));
    }

    /// <summary>A new link for a user (the old one stops working); the user's sessions end.</summary>
    public static async Task<IResult> ReinviteAsync(string id, HttpRequest request, IGrainFactory grains, ClaimsPrincipal user,
        IOptionsMonitor<InviteOptions> options, TimeProvider clock)
    {
        var actor = user.Actor();
        var tenant = grains.GetGrain<ITenantGrain>(actor.TenantId);
        var result = await IssueAsync(tenant, id, actor, request, options.CurrentValue, clock);
        return Http.From(result, TypedResults.Ok);
    }

    /// <summary>Opens a new invitation for the user and answers it with the link to hand on.</summary>
    public static async Task<Result<InviteLink>> IssueAsync(ITenantGrain tenant, string userId, Actor actor, HttpRequest request, InviteOptions options, TimeProvider clock)
    {
        var (token, hash) = InviteTokens.Issue(actor.TenantId, userId);
        var expiresAt = clock.Now() + options.Lifetime;
        var invited = await tenant.InviteAsync(userId, hash, expiresAt, actor);
        if (!invited.IsOk)
            return invited.As<InviteLink>();
        var u = invited.Value!;
        return Result<InviteLink>.Ok(new InviteLink(u.Id, u.Name, u.Email, EnumText.Of(u.Role), Url(request, token), expiresAt));
    }

    /// <summary>
    /// The console's own route for the link, on the public address: the token stays in the fragment, which browsers
    /// never send to a server.
    /// </summary>
    private static string Url(HttpRequest request, string token) => PublicUrl.For(request, $"/#/invite/{token}");

    private static IResult NotOpen() =>
        Http.NotFound("This invitation link is not valid: it was used, it expired or a newer one replaced it. Ask an admin for a new link.");
}
