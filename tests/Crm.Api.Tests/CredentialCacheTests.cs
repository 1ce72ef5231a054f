using Crm.Grains;

namespace Crm.Api.Tests;

/// <summary>The node-side cache on its own: what it keeps, what it drops, and when it asks the tenant again.</summary>
public sealed class CredentialCacheTests
{
    private readonly TickClock clock = new();
    private readonly Dictionary<string, UserCredentials> stored = new() { ["us_1"] = User("us_1", Role.Agent) };
    private int loads;
    private Func<Task>? duringLoad;

    private CredentialCache NewCache() => new(async (_, userId) =>
    {
        loads++;
        var found = stored.GetValueOrDefault(userId);
        if (duringLoad is not null)
            await duringLoad();
        return found;
    }, clock);

    private static UserCredentials User(string id, Role role) =>
        new() { TenantId = "tn_1", UserId = id, Role = role, Active = true, KeyId = "key_1", KeyHash = "AB" };

    private CredentialCache LeasedCache()
    {
        var cache = NewCache();
        cache.Renewed(clock.GetTimestamp());
        return cache;
    }

    [Fact]
    public async Task WhileLeasedAUserIsAskedForOnce()
    {
        var cache = LeasedCache();

        var first = await cache.GetAsync("tn_1", "us_1");
        var second = await cache.GetAsync("tn_1", "us_1");

        Assert.Equal(Role.Agent, second!.Role);
        Assert.Same(first, second);
        Assert.Equal(1, loads);
    }

    [Fact]
    public async Task WithoutALeaseEveryRequestAsksTheTenant()
    {
        var cache = NewCache();

        await cache.GetAsync("tn_1", "us_1");
        await cache.GetAsync("tn_1", "us_1");

        Assert.Equal(2, loads);
    }

    [Fact]
    public async Task AChangeIsSeenByTheNextRequest()
    {
        var cache = LeasedCache();
        await cache.GetAsync("tn_1", "us_1");

        stored["us_1"] = User("us_1", Role.Lead);
        await cache.UserChangedAsync("tn_1", "us_1");

        Assert.Equal(Role.Lead, (await cache.GetAsync("tn_1", "us_1"))!.Role);
        Assert.Equal(2, loads);
    }

    [Fact]
    public async Task ALookupThatRacedWithAChangeIsNotKept()
    {
        var cache = LeasedCache();
        var changed = new TaskCompletionSource();
        duringLoad = () => changed.Task;

        var racing = cache.GetAsync("tn_1", "us_1").AsTask();
        stored["us_1"] = User("us_1", Role.Lead);
        await cache.UserChangedAsync("tn_1", "us_1");
        changed.SetResult();
        var old = await racing;
        duringLoad = null;

        Assert.Equal(Role.Agent, old!.Role);
        Assert.Equal(Role.Lead, (await cache.GetAsync("tn_1", "us_1"))!.Role);
    }

    [Fact]
    public async Task AnUnknownUserIsNeverKept()
    {
        var cache = LeasedCache();

        Assert.Null(await cache.GetAsync("tn_1", "us_later"));
        stored["us_later"] = User("us_later", Role.Sales);

        Assert.Equal(Role.Sales, (await cache.GetAsync("tn_1", "us_later"))!.Role);
        Assert.Equal(2, loads);
    }

    [Fact]
    public async Task ALapsedLeaseStopsTheCacheAndARenewalAfterItStartsEmpty()
    {
        var cache = LeasedCache();
        await cache.GetAsync("tn_1", "us_1");

        clock.Advance(CredentialLease.NodeValidity);
        await cache.GetAsync("tn_1", "us_1");
        cache.Renewed(clock.GetTimestamp());
        var afterRenewal = cache.Count;
        await cache.GetAsync("tn_1", "us_1");

        Assert.Equal(0, afterRenewal);
        Assert.Equal(3, loads);
    }

    [Fact]
    public async Task ARenewalInTimeKeepsTheCache()
    {
        var cache = LeasedCache();
        await cache.GetAsync("tn_1", "us_1");

        clock.Advance(CredentialLease.RenewEvery);
        cache.Renewed(clock.GetTimestamp());
        await cache.GetAsync("tn_1", "us_1");

        Assert.Equal(1, loads);
    }

    [Fact]
    public async Task TheCacheIsBounded()
    {
        var cache = LeasedCache();

        for (var i = 0; i < CredentialCache.MaxUsers + 10; i++)
        {
            stored[$"us_{i}"] = User($"us_{i}", Role.Sales);
            await cache.GetAsync("tn_1", $"us_{i}");
        }

        Assert.InRange(cache.Count, CredentialCache.MaxUsers / 2, CredentialCache.MaxUsers);
    }

    [Fact]
    public async Task AnEntryIsAskedForAgainAfterItsMaximumAge()
    {
        var cache = LeasedCache();
        await cache.GetAsync("tn_1", "us_1");

        for (var waited = TimeSpan.Zero; waited < CredentialCache.MaxAge; waited += CredentialLease.RenewEvery)
        {
            clock.Advance(CredentialLease.RenewEvery);
            cache.Renewed(clock.GetTimestamp());
        }
        await cache.GetAsync("tn_1", "us_1");

        Assert.Equal(2, loads);
    }

    /// <summary>A clock that moves only when told, one tick a millisecond.</summary>
    private sealed class TickClock : TimeProvider
    {
        private long now = 1_000_000;

        public override long TimestampFrequency => 1000;

        public override long GetTimestamp() => now;

        public void Advance(TimeSpan by) => now += (long)by.TotalMilliseconds;
    }
}
