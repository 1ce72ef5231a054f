using System.Security.Claims;
using System.Threading.RateLimiting;

namespace Crm.Api;

/// <summary>Requests per API key (anonymous callers per address), as a token bucket: a burst, then a steady rate.</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "Crm:RateLimit";

    public int RequestsPerSecond { get; set; } = 200;
    public int Burst { get; set; } = 400;

    /// <summary>Sign-in attempts (and password changes) per client address and minute, whatever their outcome.</summary>
    public int SignInsPerMinute { get; set; } = 20;

    /// <summary>
    /// Failed sign-ins an email address may have in 15 minutes before it is refused until the window ends;
    /// counted by the address's <c>IUserEmailGrain</c>, so on every API node.
    /// </summary>
    public int SignInFailuresPerEmail { get; set; } = 5;
}

public static class RateLimiting
{
    public static IServiceCollection AddCrmRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        var limits = configuration.GetSection(RateLimitOptions.SectionName).Get<RateLimitOptions>() ?? new RateLimitOptions();
        services.Configure<RateLimitOptions>(configuration.GetSection(RateLimitOptions.SectionName));
        // The widget's limits are per tenant's settings and depend on what a request would do, so its endpoints check them.
        services.AddSingleton<WidgetLimits>();
        services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http => PartitionOf(http) is { } key
                ? RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = limits.Burst,
                    TokensPerPeriod = limits.RequestsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                })
                : RateLimitPartition.GetNoLimiter(""));
            options.AddPolicy(SessionEndpoints.SignInLimit, http => RateLimitPartition.GetSlidingWindowLimiter(
                "sign-in:" + http.Connection.RemoteIpAddress,
                _ => new SlidingWindowRateLimiterOptions
                {
                    PermitLimit = limits.SignInsPerMinute,
                    Window = TimeSpan.FromMinutes(1),
                    SegmentsPerWindow = 6,
                    QueueLimit = 0,
                }));
            options.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
                var http = context.HttpContext;
                http.Response.Headers.RetryAfter = Http.RetryAfter(retryAfter);
                await Http.WriteProblemAsync(http, StatusCodes.Status429TooManyRequests, "Too many requests.",
                    "This caller sent more requests than its limit; try again after the Retry-After seconds.");
            };
        });
        return services;
    }

    /// <summary>Provider webhooks and health probes are not limited: providers retry what we refuse, and probes must answer.</summary>
    private static string? PartitionOf(HttpContext http)
    {
        var path = http.Request.Path;
        if (path.StartsWithSegments("/webhooks") || path.StartsWithSegments("/health"))
            return null;
        return http.User.FindFirstValue(ApiKeyAuthentication.KeyClaim) is { } key
            ? "key:" + key
            : "ip:" + http.Connection.RemoteIpAddress;
    }
}
