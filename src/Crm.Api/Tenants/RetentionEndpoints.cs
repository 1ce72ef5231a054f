using System.Security.Claims;
using Crm.Grains;

namespace Crm.Api;

public sealed record RetentionRequest(int? MessageDays, int? AttachmentDays);

/// <summary>The caller's tenant's retention policy and a way to run its job at once.</summary>
public static class RetentionEndpoints
{
    public static void MapRetentionEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/tenants/current/retention").WithTags("Tenants and users").Require(Permission.ManageRetention);
        api.MapGet("/", ReadAsync);
        api.MapPut("/", ReplaceAsync);
        api.MapPost("/run", RunAsync);
    }

    public static async Task<IResult> ReadAsync(IGrainFactory grains, ClaimsPrincipal user) =>
        TypedResults.Ok(await grains.GetGrain<ITenantGrain>(user.TenantId()).GetRetentionAsync());

    public static async Task<IResult> ReplaceAsync(RetentionRequest body, IGrainFactory grains, ClaimsPrincipal user)
    {
        var actor = user.Actor();
        var policy = new RetentionPolicy { MessageDays = body.MessageDays, AttachmentDays = body.AttachmentDays };
        return Http.From(await grains.GetGrain<IRetentionGrain>(actor.TenantId).SetPolicyAsync(policy, actor), TypedResults.Ok);
    }

    public static async Task<IResult> RunAsync(IGrainFactory grains, ClaimsPrincipal user)
    {
        var actor = user.Actor();
        return TypedResults.Ok(await grains.GetGrain<IRetentionGrain>(actor.TenantId).RunAsync(actor));
    }
}
