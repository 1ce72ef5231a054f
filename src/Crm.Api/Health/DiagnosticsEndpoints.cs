using System.Net;
using System.Runtime;

namespace Crm.Api;

/// <summary>
/// The live memory of this process after a full, compacting collection, with the grain activations of the silo,
/// for the benchmark's memory-per-chat figure. Off unless <c>Crm:Diagnostics:Heap</c> is true, and then only
/// for callers on loopback: forcing a collection pauses the process, which nobody outside should be able to do.
/// </summary>
public static class DiagnosticsEndpoints
{
    public sealed record HeapReport(long HeapBytes, long CommittedBytes, int Activations, IReadOnlyDictionary<string, int> ActivationsByType);

    public static void MapDiagnosticsEndpoints(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IConfiguration>().GetValue<bool>("Crm:Diagnostics:Heap"))
            return;
        app.MapPost("/diagnostics/heap", HeapAsync).ExcludeFromDescription();
    }

    private static async Task<IResult> HeapAsync(HttpContext http, IGrainFactory grains)
    {
        if (http.Connection.RemoteIpAddress is not { } address || !IPAddress.IsLoopback(address))
            return Results.NotFound();
        var statistics = await grains.GetGrain<IManagementGrain>(0).GetSimpleGrainStatistics();
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var byType = statistics.GroupBy(s => s.GrainType).ToDictionary(g => g.Key, g => g.Sum(s => s.ActivationCount));
        return Results.Ok(new HeapReport(GC.GetTotalMemory(forceFullCollection: false), GC.GetGCMemoryInfo().TotalCommittedBytes,
            byType.Values.Sum(), byType));
    }
}
