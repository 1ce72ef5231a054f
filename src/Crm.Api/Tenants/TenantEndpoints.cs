using System.Security.Claims;
using Crm.Grains;
using Microsoft.Extensions.Options;

namespace Crm.Api;

public sealed record CreateTenantRequest(string? Name, string? AdminEmail = null, string? AdminPassword = null);

public sealed record CreateUserRequest(string? Name, string? Role, string? Email = null, string? Password = null);

public sealed record UpdateUserRequest(string? Name, string? Email, string? Role);

public sealed record SetPasswordRequest(string? Password);

public static class TenantEndpoints
{
    public static void MapTenantEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1").WithTags("Tenants and users");
        api.MapPost("/tenants", CreateTenantAsync).Require(Permission.CreateTenants);
        api.MapPost("/users", CreateUserAsync).Require(Permission.ManageUsers);
        api.MapGet("/users", ListUsersAsync).Require(Permission.ManageUsers);
        api.MapDelete("/users/{id}", DeactivateUserAsync).Require(Permission.ManageUsers);
        api.MapPost("/users/{id}/keys", RotateKeyAsync).Require(Permission.ManageUsers);
        api.MapPatch("/users/{id}", UpdateUserAsync).Require(Permission.ManageUsers);
        api.MapPut("/users/{id}/password", SetPasswordAsync).Require(Permission.ManageUsers);
        api.MapGet("/me", Me).RequireAuthorization();
    }

    /// <summary>With <c>adminEmail</c> and <c>adminPassword</c> the first admin can also sign in to the console.</summary>
    public static async Task<IResult> CreateTenantAsync(CreateTenantRequest body, IGrainFactory grains)
    {
        var errors = new Errors();
        var email = body.AdminEmail is null && body.AdminPassword is null ? null : SignInRules.NormalizeEmail(body.AdminEmail, errors);
        if (email is not null)
            SignInRules.ValidatePassword(body.AdminPassword, errors, "adminPassword");
        if (errors.Any)
            return TypedResults.ValidationProblem(errors.ToDictionary().ToDictionary(e => e.Key == "email" ? "adminEmail" : e.Key, e => e.Value),
                title: "The request is not valid.");
        if (email is not null && await grains.GetGrain<IUserEmailGrain>(email).FindAsync() is not null)
            return TypedResults.Problem("Another user already signs in with this email.", statusCode: StatusCodes.Status409Conflict, title: "Conflict");

        var tenantId = Ids.New("tn");
        var tenant = grains.GetGrain<ITenantGrain>(tenantId);
        var result = await tenant.CreateAsync(body.Name);
        if (result.IsOk && email is not null)
        {
            var admin = result.Value!.Admin.User.Id;
            var signIn = await tenant.UpdateUserAsync(admin, new UserChanges { Email = email }, Actor.System(tenantId));
            if (!signIn.IsOk)
                return Http.From(signIn, TypedResults.Ok);
            await tenant.SetPasswordAsync(admin, Passwords.Hash(body.AdminPassword!), Actor.System(tenantId));
        }
        return Http.From(result, t => TypedResults.Created($"/api/v1/tenants/{t.Tenant.Id}",
            new { tenantId = t.Tenant.Id, name = t.Tenant.Name, adminUserId = t.Admin.User.Id, apiKey = t.Admin.ApiKey, adminEmail = email }));
    }

    /// <summary>
    /// With <c>email</c> and an initial <c>password</c> the user signs in at once; with <c>email</c> alone the answer
    /// also carries <c>inviteUrl</c>, a one-time link where the user sets a password.
    /// </summary>
    public static async Task<IResult> CreateUserAsync(CreateUserRequest body, HttpRequest request, IGrainFactory grains, ClaimsPrincipal user,
        IOptionsMonitor<InviteOptions> invites, TimeProvider clock)
    {
        var errors = new Errors();
        if (!EnumText.TryParse<Role>(body.Role, out var role))
            errors.Add("role", $"Must be one of: {EnumText.Allowed<Role>()}.");
        if (body.Password is not null)
            SignInRules.ValidatePassword(body.Password, errors);
        if (body.Password is not null && body.Email is null)
            errors.Add("email", "A user with a password needs the email it signs in with.");
        if (errors.Any)
            return Http.Invalid(errors);
        var actor = user.Actor();
        var hash = body.Password is null ? null : Passwords.Hash(body.Password);
        var tenant = grains.GetGrain<ITenantGrain>(actor.TenantId);
        var result = await tenant.CreateUserAsync(body.Name, role, actor, body.Email, hash);
        if (!result.IsOk)
            return Http.From(result, TypedResults.Ok);
        var u = result.Value!.User;
        var link = u.Email is not null && hash is null ? await InviteEndpoints.IssueAsync(tenant, u.Id, actor, request, invites.CurrentValue, clock) : null;
        return TypedResults.Created($"/api/v1/users/{u.Id}", new
        {
            id = u.Id, name = u.Name, role = u.Role, email = u.Email, apiKey = result.Value.ApiKey,
            inviteUrl = link?.Value?.InviteUrl, inviteExpiresAt = link?.Value?.InviteExpiresAt,
        });
    }

    public static async Task<IResult> UpdateUserAsync(string id, UpdateUserRequest body, IGrainFactory grains, ClaimsPrincipal user)
    {
        Role? role = null;
        if (body.Role is not null)
        {
            if (!EnumText.TryParse<Role>(body.Role, out var r))
                return Http.Invalid("role", $"Must be one of: {EnumText.Allowed<Role>()}.");
            role = r;
        }
        var actor = user.Actor();
        var changes = new UserChanges { Name = body.Name, Email = body.Email, Role = role };
        return Http.From(await grains.GetGrain<ITenantGrain>(actor.TenantId).UpdateUserAsync(id, changes, actor), TypedResults.Ok);
    }

    /// <summary>An admin's password reset: the user's browser sessions end at once.</summary>
    public static async Task<IResult> SetPasswordAsync(string id, SetPasswordRequest body, IGrainFactory grains, ClaimsPrincipal user)
    {
        var errors = new Errors();
        SignInRules.ValidatePassword(body.Password, errors);
        if (errors.Any)
            return Http.Invalid(errors);
        var actor = user.Actor();
        var tenant = grains.GetGrain<ITenantGrain>(actor.TenantId);
        return Http.From(await tenant.SetPasswordAsync(id, Passwords.Hash(body.Password!), actor), TypedResults.Ok);
    }

    public static async Task<IResult> ListUsersAsync(int? limit, string? cursor, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (!Http.TryLimit(limit, out var size, out var problem))
            return problem!;
        return TypedResults.Ok(await grains.GetGrain<ITenantGrain>(user.TenantId()).ListUsersAsync(size, cursor));
    }

    public static async Task<IResult> RotateKeyAsync(string id, IGrainFactory grains, ClaimsPrincipal user)
    {
        var actor = user.Actor();
        return Http.From(await grains.GetGrain<ITenantGrain>(actor.TenantId).RotateKeyAsync(id, actor),
            u => TypedResults.Created($"/api/v1/users/{u.User.Id}", new { id = u.User.Id, apiKey = u.ApiKey }));
    }

    public static async Task<IResult> DeactivateUserAsync(string id, IGrainFactory grains, ClaimsPrincipal user)
    {
        var actor = user.Actor();
        return Http.From(await grains.GetGrain<ITenantGrain>(actor.TenantId).DeactivateUserAsync(id, actor), TypedResults.Ok);
    }

    public static IResult Me(ClaimsPrincipal user)
    {
        if (user.IsInRole(Permissions.SystemRole))
            return TypedResults.Ok(new { tenantId = (string?)null, userId = "system", role = Permissions.SystemRole });
        var actor = user.Actor();
        return TypedResults.Ok(new { tenantId = actor.TenantId, userId = actor.UserId, role = EnumText.Of(actor.Role) });
    }
}
