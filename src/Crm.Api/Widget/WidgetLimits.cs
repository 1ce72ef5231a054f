using System.Threading.RateLimiting;
using Crm.Providers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Crm.Api;

/// <summary>
/// The limits of a tenant's widget settings: new visitors per site and minute and day, messages per visitor and
/// minute, and the Origins allowed to use the site key. Counted in memory by sliding windows, so per API node.
/// Checked by the endpoints once they know what a request would do, and before it stores anything.
/// </summary>
public sealed class WidgetLimits : IDisposable
{
    /// <summary>
    /// One window per site or visitor and setting. The permit count is part of the key, so a changed setting
    /// starts a fresh window; idle windows are dropped by the partitioned limiter.
    /// </summary>
    private readonly record struct Window(string Scope, int Permits, TimeSpan Length, int Segments);

    private readonly PartitionedRateLimiter<Window> windows = PartitionedRateLimiter.Create<Window, Window>(
        window => RateLimitPartition.GetSlidingWindowLimiter(window, w => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = w.Permits,
            Window = w.Length,
            SegmentsPerWindow = w.Segments,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>A session that makes a new visitor of the tenant's site: refused once the site's minute or day is full.</summary>
    public ProblemHttpResult? NewVisitor(HttpContext http, string tenantId, WidgetSettings widget) =>
        Acquire(http, new Window("visitors-minute:" + tenantId, widget.NewVisitorsPerMinute, TimeSpan.FromMinutes(1), 6),
                nameof(WidgetSettings.NewVisitorsPerMinute), $"This site's widget takes at most {widget.NewVisitorsPerMinute} new visitors a minute")
            ?? Acquire(http, new Window("visitors-day:" + tenantId, widget.NewVisitorsPerDay, TimeSpan.FromDays(1), 24),
                nameof(WidgetSettings.NewVisitorsPerDay), $"This site's widget takes at most {widget.NewVisitorsPerDay} new visitors a day");

    /// <summary>A visitor's message: refused once the visitor's minute is full; other visitors have their own.</summary>
    public ProblemHttpResult? Message(HttpContext http, string tenantId, string visitorId, WidgetSettings widget) =>
        Acquire(http, new Window($"messages-minute:{tenantId}/{visitorId}", widget.MessagesPerVisitorPerMinute, TimeSpan.FromMinutes(1), 6),
            nameof(WidgetSettings.MessagesPerVisitorPerMinute), $"A visitor may send at most {widget.MessagesPerVisitorPerMinute} messages a minute");

    /// <summary>With <see cref="WidgetSettings.AllowedOrigins"/> set, a request whose Origin is not one of them (or that has none) is refused.</summary>
    public static ProblemHttpResult? Origin(HttpContext http, WidgetSettings widget)
    {
        if (widget.AllowedOrigins is not { Length: > 0 } allowed)
            return null;
        var origin = http.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && allowed.Any(a => string.Equals(a.Trim().TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase)))
            return null;
        return TypedResults.Problem(
            origin.Length > 0 ? $"This site's widget does not accept requests from the origin '{origin}'." : "This site's widget accepts only requests with an allowed Origin header.",
            statusCode: StatusCodes.Status403Forbidden, title: "Origin not allowed",
            extensions: new Dictionary<string, object?> { ["limit"] = nameof(WidgetSettings.AllowedOrigins) });
    }

    private ProblemHttpResult? Acquire(HttpContext http, Window window, string limit, string what)
    {
        if (window.Permits <= 0)
            return null;
        using var lease = windows.AttemptAcquire(window);
        if (lease.IsAcquired)
            return null;
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : window.Length / window.Segments;
        http.Response.Headers.RetryAfter = Http.RetryAfter(retryAfter);
        return TypedResults.Problem($"{what} ({limit}); try again after the Retry-After seconds.",
            statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests.",
            extensions: new Dictionary<string, object?> { ["limit"] = limit });
    }

    public void Dispose() => windows.Dispose();
}
