using Crm.Silo;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Crm.Api;

/// <summary>
/// Ready, on an API node that is an Orleans client, means the client reaches the cluster: a gateway answers
/// and at least one silo is active. One management call per probe, bounded to a few seconds.
/// </summary>
internal sealed class ClusterClientReadyCheck(IGrainFactory grains) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(Timeout, cancellationToken);
            return hosts.Count > 0
                ? HealthCheckResult.Healthy($"{hosts.Count} active silo(s).")
                : HealthCheckResult.Unhealthy("No active silo.");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The cluster does not answer.", e);
        }
    }
}

public static class HealthEndpoints
{
    public static IServiceCollection AddCrmHealthChecks(this IServiceCollection services, Crm.Silo.ApiRole role = Crm.Silo.ApiRole.CoHosted)
    {
        if (role == Crm.Silo.ApiRole.Client)
            services.AddHealthChecks().AddCheck<ClusterClientReadyCheck>("cluster", tags: ["ready"]);
        else
            services.AddHealthChecks().AddCheck<SiloReadyCheck>("silo", tags: ["ready"]);
        return services;
    }

    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false }).WithTags("Operations");
        app.MapHealthChecks("/health/ready", new() { Predicate = c => c.Tags.Contains("ready") }).WithTags("Operations");
    }
}
