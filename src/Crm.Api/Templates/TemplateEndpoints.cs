using System.Security.Claims;
using Crm.Grains;

namespace Crm.Api;

public sealed record TemplateRequest(string? Name, string? Text);

public static class TemplateEndpoints
{
    public static void MapTemplateEndpoints(this IEndpointRouteBuilder app)
    {
        var templates = app.MapGroup("/api/v1/templates").WithTags("Templates");
        templates.MapGet("/", ListAsync).Require(Permission.ReadTemplates);
        templates.MapPost("/", CreateAsync).Require(Permission.ManageTemplates);
        templates.MapGet("/{id}", GetAsync).Require(Permission.ReadTemplates);
        templates.MapPut("/{id}", ReplaceAsync).Require(Permission.ManageTemplates);
        templates.MapDelete("/{id}", DeleteAsync).Require(Permission.ManageTemplates);
    }

    private static ITemplatesGrain Templates(IGrainFactory grains, ClaimsPrincipal user) => grains.GetGrain<ITemplatesGrain>(user.TenantId());

    public static async Task<IResult> ListAsync(int? limit, string? cursor, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (!Http.TryLimit(limit, out var size, out var problem))
            return problem!;
        return TypedResults.Ok(await Templates(grains, user).ListAsync(size, cursor));
    }

    public static async Task<IResult> CreateAsync(TemplateRequest body, IGrainFactory grains, ClaimsPrincipal user) =>
        Http.From(await Templates(grains, user).CreateAsync(body.Name, body.Text, user.Actor()), t => TypedResults.Created($"/api/v1/templates/{t.Id}", t));

    public static async Task<IResult> GetAsync(string id, IGrainFactory grains, ClaimsPrincipal user) =>
        await Templates(grains, user).GetAsync(id) is { } template ? TypedResults.Ok(template) : Http.NotFound();

    public static async Task<IResult> ReplaceAsync(string id, TemplateRequest body, IGrainFactory grains, ClaimsPrincipal user) =>
        Http.From(await Templates(grains, user).ReplaceAsync(id, body.Name, body.Text, user.Actor()), TypedResults.Ok);

    public static async Task<IResult> DeleteAsync(string id, IGrainFactory grains, ClaimsPrincipal user) =>
        Http.From(await Templates(grains, user).DeleteAsync(id, user.Actor()), _ => TypedResults.NoContent());
}
