using System.Diagnostics;

namespace Crm.Grains.Tests;

/// <summary>The registry of API nodes' credential caches: a change returns only once no node can serve the old credentials.</summary>
[Collection(ClusterCollection.Name)]
public sealed class CredentialCachesGrainTests(ClusterFixture fixture)
{
    /// <summary>A node's cache as the registry sees it: it records what it was told, or never answers.</summary>
    private sealed class Node(bool answers = true) : ICredentialCache
    {
        private readonly List<string> _told = [];

        public List<string> Told
        {
            get
            {
                lock (_told)
                    return [.. _told];
            }
        }

        public Task UserChangedAsync(string tenantId, string userId)
        {
            lock (_told)
                _told.Add($"{tenantId}/{userId}");
            return answers ? Task.CompletedTask : new TaskCompletionSource().Task;
        }
    }

    private ICredentialCachesGrain Registry() => fixture.Grains.GetGrain<ICredentialCachesGrain>(Fresh.Tenant());

    private ICredentialCache Join(Node node) => fixture.Grains.CreateObjectReference<ICredentialCache>(node);

    [Fact]
    public async Task EveryNodeWithALeaseIsToldBeforeTheChangeReturns()
    {
        var registry = Registry();
        var (a, b, gone) = (new Node(), new Node(), new Node());
        await registry.JoinAsync(Join(a));
        await registry.JoinAsync(Join(b));
        var left = Join(gone);
        await registry.JoinAsync(left);
        await registry.LeaveAsync(left);

        await registry.UserChangedAsync("tn_1", "us_1");

        Assert.Equal(["tn_1/us_1"], a.Told);
        Assert.Equal(["tn_1/us_1"], b.Told);
        Assert.Empty(gone.Told);
    }

    [Fact]
    public async Task ANodeThatDoesNotAnswerHoldsTheChangeUntilItsLeaseLapsesAndIsThenForgotten()
    {
        var registry = Registry();
        var silent = new Node(answers: false);
        await registry.JoinAsync(Join(silent));
        var joined = Stopwatch.StartNew();

        await registry.UserChangedAsync("tn_1", "us_1");
        var first = joined.Elapsed;
        var again = Stopwatch.StartNew();
        await registry.UserChangedAsync("tn_1", "us_2");

        // The node trusts its cache for NodeValidity from before it asked; the change returned after that.
        Assert.True(first >= CredentialLease.NodeValidity, $"returned after {first}");
        Assert.True(again.Elapsed < TimeSpan.FromSeconds(1), $"the second change took {again.Elapsed}");
        Assert.Equal(["tn_1/us_1"], silent.Told);
    }

    [Fact]
    public async Task ChangesWaitingOnASilentNodeHoldUpNeitherTheRenewalsNorTheChangesOfOtherNodes()
    {
        var registry = Registry();
        var (silent, healthy) = (new Node(answers: false), new Node());
        await registry.JoinAsync(Join(silent));
        var healthyNode = Join(healthy);
        await registry.JoinAsync(healthyNode);
        var started = Stopwatch.StartNew();

        var changes = Enumerable.Range(0, 3).Select(i => registry.UserChangedAsync("tn_1", $"us_{i}")).ToList();
        await ClusterFixture.EventuallyAsync(() => Task.FromResult(healthy.Told.Count == 3), "the healthy node is told all three changes");
        var toldAfter = started.Elapsed;
        var renewal = Stopwatch.StartNew();
        await registry.JoinAsync(healthyNode);
        var renewedAfter = renewal.Elapsed;
        await Task.WhenAll(changes);

        // While the first change waits for the silent node's lease to lapse, the others reach the healthy node and
        // its renewal is granted; only the answers wait for the lease.
        Assert.True(toldAfter < TimeSpan.FromSeconds(2), $"the healthy node was told of all three changes after {toldAfter}");
        Assert.True(renewedAfter < TimeSpan.FromSeconds(1), $"the healthy node's renewal took {renewedAfter}");
        Assert.True(started.Elapsed >= CredentialLease.NodeValidity, $"the changes returned after {started.Elapsed}");
    }

    [Fact]
    public async Task AFreshActivationWaitsOutTheLeasesItDoesNotKnow()
    {
        var registry = Registry();
        var node = new Node();
        await registry.JoinAsync(Join(node));
        var joined = Stopwatch.StartNew();
        await fixture.Cluster.DeactivateAsync(registry);

        await registry.UserChangedAsync("tn_1", "us_1");

        // The new activation never heard of the node, so it cannot tell it; it waits until the node's lease is over.
        Assert.True(joined.Elapsed >= CredentialLease.NodeValidity, $"returned after {joined.Elapsed}");
        Assert.Empty(node.Told);
    }
}
