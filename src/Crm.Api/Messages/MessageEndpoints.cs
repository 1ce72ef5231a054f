using System.Security.Claims;
using Crm.Grains;

namespace Crm.Api;

public static class MessageEndpoints
{
    public static void MapMessageEndpoints(this IEndpointRouteBuilder app)
    {
        var messages = app.MapGroup("/api/v1/messages").WithTags("Messages");
        messages.MapGet("/search", SearchAsync).Require(Permission.ReadChats);
    }

    public static async Task<IResult> SearchAsync(string? query, int? limit, string? cursor, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (string.IsNullOrWhiteSpace(query))
            return Http.Invalid("query", "Words to search for are required.");
        if (query.Length > 200)
            return Http.Invalid("query", "At most 200 characters.");
        if (!Http.TryLimit(limit, out var size, out var problem))
            return problem!;
        if (!Http.IsCursor(cursor))
            return Http.Invalid("cursor", "Not a cursor this API gave out.");
        return TypedResults.Ok(await grains.GetGrain<ITenantQueryGrain>(user.TenantId()).SearchMessagesAsync(query, size, cursor));
    }
}
