using System.Security.Claims;
using System.Text.Json;
using Crm.Grains;
using Crm.Silo;

namespace Crm.Api;

public static class EventEndpoints
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static IServiceCollection AddEventStreams(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptionsWithValidateOnStart<EventStreamOptions>()
            .Bind(configuration.GetSection(EventStreamOptions.SectionName))
            .Validate(o => o.RecheckPeriod > TimeSpan.Zero, "Crm:Events:RecheckPeriod must be positive.")
            .Validate(o => o.MaxStreamsPerCredential > 0, "Crm:Events:MaxStreamsPerCredential must be at least 1.");
        services.AddSingleton<TenantEventHub>();
        services.AddSingleton<EventStreamSlots>();
        return services;
    }

    public static void MapEventEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/events/stream", StreamAsync).WithTags("Events").Require(Permission.ReadChats);
    }

    /// <summary>
    /// Server-sent events: each change of the caller's tenant as <c>id</c> (stable), <c>event</c> (type) and JSON
    /// <c>data</c>. The stream ends when its credential stops being valid; a credential holds a bounded number open.
    /// </summary>
    internal static async Task StreamAsync(HttpContext http, TenantEventHub hub, EventStreamSlots slots, ClaimsPrincipal user, CancellationToken aborted)
    {
        var actor = user.Actor();
        using var slot = slots.TryTake(actor);
        if (slot is null)
        {
            await Http.WriteProblemAsync(http, StatusCodes.Status429TooManyRequests, "Too many open event streams.",
                $"A key or session may hold at most {slots.Limit} open event streams on this API node (Crm:Events:MaxStreamsPerCredential); close one first.");
            return;
        }
        using var credential = new StreamCredential(http, actor);
        http.Response.Headers.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await using var listener = await hub.ListenAsync(actor.TenantId);
        await http.Response.WriteAsync(": connected\n\n", aborted);
        await http.Response.Body.FlushAsync(aborted);
        try
        {
            while (true)
            {
                var e = await NextAsync(listener, credential, aborted);
                // An event read after the credential changed is sent only once the credential still holds.
                if (credential.Due && !await credential.StillValidAsync())
                {
                    await http.Response.WriteAsync(": credential no longer valid\n\n", aborted);
                    return;
                }
                await http.Response.WriteAsync(e is null ? ": keep-alive\n\n" : $"id: {e.Id}\nevent: {e.Type}\ndata: {JsonSerializer.Serialize(e, CrmJson.Options)}\n\n", aborted);
                await http.Response.Body.FlushAsync(aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
        }
    }

    /// <summary>The next event, or null when a keep-alive or a re-check of the credential is due first.</summary>
    private static async Task<CrmEvent?> NextAsync(TenantEventHub.Listener listener, StreamCredential credential, CancellationToken aborted)
    {
        if (listener.Events.TryRead(out var ready))
            return ready;
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(aborted, credential.Changed);
        wait.CancelAfter(credential.UntilDue < KeepAlive ? credential.UntilDue : KeepAlive);
        try
        {
            return await listener.Events.ReadAsync(wait.Token);
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            return null;
        }
    }
}
