using System.Security.Claims;
using Crm.Grains;

namespace Crm.Api;

public sealed record CreateTenantRequest(string? Name);

public sealed record CreateUserRequest(string? Name, string? Role);

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
        api.MapGet("/me", Me).RequireAuthorization();
    }

    public static async Task<IResult> CreateTenantAsync(CreateTenantRequest body, IGrainFactory grains)
    {
        var tenantId = Ids.New("tn");
        var result = await grains.GetGrain<ITenantGrain>(tenantId).CreateAsync(body.Name);
        return Http.From(result, t => TypedResults.Created($"/api/v1/tenants/{t.Tenant.Id}",
            new { tenantId = t.Tenant.Id, name = t.Tenant.Name, adminUserId = t.Admin.User.Id, apiKey = t.Admin.ApiKey }));
    }

    public static async Task<IResult> CreateUserAsync(CreateUserRequest body, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (!EnumText.TryParse<Role>(body.Role, out var role))
            return Http.Invalid("role", $"Must be one of: {EnumText.Allowed<Role>()}.");
        var actor = user.Actor();
        var result = await grains.GetGrain<ITenantGrain>(actor.TenantId).CreateUserAsync(body.Name, role, actor);
        return Http.From(result, u => TypedResults.Created($"/api/v1/users/{u.User.Id}",
            new { id = u.User.Id, name = u.User.Name, role = u.User.Role, apiKey = u.ApiKey }));
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
