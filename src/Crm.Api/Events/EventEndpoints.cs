using System.Security.Claims;
using System.Text.Json;
using Crm.Silo;

namespace Crm.Api;

public static class EventEndpoints
{
    public static void MapEventEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/events/stream", StreamAsync).WithTags("Events").Require(Permission.ReadChats);
    }

    /// <summary>Server-sent events: each change of the caller's tenant as <c>id</c> (stable), <c>event</c> (type) and JSON <c>data</c>.</summary>
    internal static async Task StreamAsync(HttpContext http, TenantEventHub hub, ClaimsPrincipal user, CancellationToken aborted)
    {
        http.Response.Headers.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await using var listener = await hub.ListenAsync(user.TenantId());
        await http.Response.WriteAsync(": connected\n\n", aborted);
        await http.Response.Body.FlushAsync(aborted);
        try
        {
            while (true)
            {
                using var heartbeat = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                heartbeat.CancelAfter(TimeSpan.FromSeconds(15));
                try
                {
                    var e = await listener.Events.ReadAsync(heartbeat.Token);
                    await http.Response.WriteAsync($"id: {e.Id}\nevent: {e.Type}\ndata: {JsonSerializer.Serialize(e, CrmJson.Options)}\n\n", aborted);
                }
                catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
                {
                    await http.Response.WriteAsync(": keep-alive\n\n", aborted);
                }
                await http.Response.Body.FlushAsync(aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
        }
    }
}
