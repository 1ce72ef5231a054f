using Orleans.Concurrency;
using Microsoft.Extensions.Logging;

namespace Crm.Grains;

[GenerateSerializer]
public sealed class CredentialCachesState
{
    /// <summary>How often the registry was activated: after the first time, an earlier activation may have granted leases.</summary>
    [Id(0)] public long Activations { get; set; }
}

/// <remarks>
/// Reentrant: a change waiting on a node that does not answer (up to a lease) holds up neither other changes nor the
/// renewals of the nodes that do answer, whose leases would otherwise lapse while it waits. Its state is this
/// activation's map of nodes, changed only between awaits.
/// </remarks>
[GrainType("credential-caches"), Reentrant]
internal sealed partial class CredentialCachesGrain(
    [PersistentState("credential-caches", StorageNames.Crm)] IPersistentState<CredentialCachesState> state,
    TimeProvider clock,
    ILogger<CredentialCachesGrain> logger) : Grain, ICredentialCachesGrain
{
    /// <summary>Each node with the timestamp (this activation's clock) of its last grant.</summary>
    private readonly Dictionary<ICredentialCache, long> _nodes = [];
    private long _activatedAt;
    private bool _earlierLeasesMayRun;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // The activation before this one (on a silo that died, say) granted leases this one knows nothing of; they
        // are written down before any is granted, so a first activation ever has none to wait for.
        _activatedAt = clock.GetTimestamp();
        _earlierLeasesMayRun = state.State.Activations > 0;
        state.State.Activations++;
        await state.WriteStateAsync();
    }

    public Task JoinAsync(ICredentialCache node)
    {
        foreach (var lapsed in _nodes.Where(n => LeaseLeft(n.Value) <= TimeSpan.Zero).Select(n => n.Key).ToList())
            _nodes.Remove(lapsed);
        _nodes[node] = clock.GetTimestamp();
        return Task.CompletedTask;
    }

    public Task LeaveAsync(ICredentialCache node)
    {
        _nodes.Remove(node);
        return Task.CompletedTask;
    }

    public async Task UserChangedAsync(string tenantId, string userId)
    {
        if (_earlierLeasesMayRun)
        {
            var left = CredentialLease.Duration - clock.GetElapsedTime(_activatedAt);
            if (left > TimeSpan.Zero)
                await Task.Delay(left, clock);
            _earlierLeasesMayRun = false;
        }
        await Task.WhenAll(_nodes.ToList().Select(n => TellAsync(n.Key, n.Value, tenantId, userId)));
    }

    /// <summary>Returns once the node dropped the user or, when it does not answer, once its lease has run out.</summary>
    private async Task TellAsync(ICredentialCache node, long grantedAt, string tenantId, string userId)
    {
        var left = LeaseLeft(grantedAt);
        if (left > TimeSpan.Zero)
        {
            try
            {
                await node.UserChangedAsync(tenantId, userId).WaitAsync(left, clock);
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogNodeSilent(logger, e, left);
            }
            left = LeaseLeft(grantedAt);
            if (left > TimeSpan.Zero)
                await Task.Delay(left, clock);
        }
        // Forgotten only if it did not renew meanwhile: a renewal means it answers again, and holds a lease from then.
        if (_nodes.TryGetValue(node, out var latest) && latest == grantedAt)
            _nodes.Remove(node);
    }

    private TimeSpan LeaseLeft(long grantedAt) => CredentialLease.Duration - clock.GetElapsedTime(grantedAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An API node did not confirm a credential change; the change waits up to {Left} for its lease to lapse")]
    private static partial void LogNodeSilent(ILogger logger, Exception exception, TimeSpan left);
}
