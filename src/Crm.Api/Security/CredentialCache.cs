using System.Collections.Concurrent;
using Crm.Grains;

namespace Crm.Api;

/// <summary>
/// This node's copy of the credentials its callers use, so that authenticating a request does not queue behind
/// the tenant grain. It is trusted only while the node holds a <see cref="CredentialLease"/>: a change of a user's
/// role, key or sessions returns only after this cache dropped the user (<see cref="UserChangedAsync"/>), or after
/// the lease lapsed, which empties the cache. A lookup that finds no user is never kept, and a lookup that raced
/// with a change or a lapse is not kept either (the generation moved on while it ran).
/// </summary>
public sealed class CredentialCache(Func<string, string, Task<UserCredentials?>> load, TimeProvider clock) : ICredentialCache
{
    public const int MaxUsers = 10_000;
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<(string TenantId, string UserId), Entry> _users = new();
    private readonly Lock _gate = new();
    private long _generation;
    private long _leaseEnd;

    public int Count => _users.Count;

    /// <summary>
    /// Raised, on the caller's thread, once a change of the user has dropped it here (not when a lapsed lease empties
    /// the cache): what holds a connection open for that user re-checks its credential at once. Handlers must be quick.
    /// </summary>
    public event Action<string, string>? UserDropped;

    public async ValueTask<UserCredentials?> GetAsync(string tenantId, string userId)
    {
        var key = (tenantId, userId);
        var now = clock.GetTimestamp();
        var leased = now < Volatile.Read(ref _leaseEnd);
        if (leased && _users.TryGetValue(key, out var entry) && clock.GetElapsedTime(entry.LoadedAt, now) < MaxAge)
            return entry.Credentials;

        var generation = Volatile.Read(ref _generation);
        var loaded = await load(tenantId, userId);
        if (loaded is not null && leased)
            Keep(key, loaded, generation, now);
        return loaded;
    }

    /// <summary>The registry's word that the user's credentials changed: whatever this node holds of them goes.</summary>
    public Task UserChangedAsync(string tenantId, string userId)
    {
        lock (_gate)
        {
            _generation++;
            _users.TryRemove((tenantId, userId), out _);
        }
        UserDropped?.Invoke(tenantId, userId);
        return Task.CompletedTask;
    }

    /// <summary>
    /// The registry granted the lease that this node asked for at <paramref name="sentAt"/>. When the previous lease
    /// had already run out, the registry may have confirmed changes without this node, so the cache starts empty.
    /// </summary>
    public void Renewed(long sentAt)
    {
        lock (_gate)
        {
            if (clock.GetTimestamp() >= _leaseEnd)
                Forget();
            Volatile.Write(ref _leaseEnd, sentAt + (long)(CredentialLease.NodeValidity.TotalSeconds * clock.TimestampFrequency));
        }
    }

    /// <summary>The node leaves (or stops): nothing is served from the cache any more.</summary>
    public void Dropped()
    {
        lock (_gate)
        {
            Volatile.Write(ref _leaseEnd, 0);
            Forget();
        }
    }

    private void Keep((string, string) key, UserCredentials credentials, long generation, long loadedAt)
    {
        lock (_gate)
        {
            if (generation != _generation || clock.GetTimestamp() >= _leaseEnd)
                return;
            if (_users.Count >= MaxUsers)
                Trim();
            _users[key] = new Entry(credentials, loadedAt);
        }
    }

    /// <summary>Makes room: the expired entries go, then any until a tenth of the room is free.</summary>
    private void Trim()
    {
        var now = clock.GetTimestamp();
        foreach (var (key, entry) in _users)
        {
            if (clock.GetElapsedTime(entry.LoadedAt, now) >= MaxAge)
                _users.TryRemove(key, out _);
        }
        foreach (var key in _users.Keys)
        {
            if (_users.Count < MaxUsers * 9 / 10)
                break;
            _users.TryRemove(key, out _);
        }
    }

    private void Forget()
    {
        _generation++;
        _users.Clear();
    }

    private sealed record Entry(UserCredentials Credentials, long LoadedAt);
}

/// <summary>Keeps this node's credential lease: joins the registry at start, renews it, leaves on the way out.</summary>
internal sealed partial class CredentialLeaseRenewal(
    IGrainFactory grains, CredentialCache cache, TimeProvider clock, ILogger<CredentialLeaseRenewal> logger) : BackgroundService
{
    private ICredentialCache? _node;

    private ICredentialCachesGrain Registry => grains.GetGrain<ICredentialCachesGrain>(CredentialLease.RegistryKey);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                _node ??= grains.CreateObjectReference<ICredentialCache>(cache);
                var sentAt = clock.GetTimestamp();
                await Registry.JoinAsync(_node);
                cache.Renewed(sentAt);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRenewalFailed(logger, e);
            }
            try
            {
                await Task.Delay(CredentialLease.RenewEvery, clock, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        cache.Dropped();
        if (_node is null)
            return;
        try
        {
            // Else the registry forgets this node when its lease lapses, and a change waits for that once.
            await Registry.LeaveAsync(_node).WaitAsync(TimeSpan.FromSeconds(2), clock, cancellationToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogLeaveFailed(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The credential lease could not be renewed; requests are authenticated by the tenant grains until it is")]
    private static partial void LogRenewalFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "This node could not leave the credential registry; its lease lapses by itself")]
    private static partial void LogLeaveFailed(ILogger logger, Exception exception);
}
