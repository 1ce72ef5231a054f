namespace Crm.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class TelegramOffsetGrainTests(ClusterFixture fixture)
{
    private ITelegramOffsetGrain Offset() => fixture.Grains.GetGrain<ITelegramOffsetGrain>($"tn_{Guid.NewGuid():N}/7000000001");

    [Fact]
    public async Task TheOffsetOnlyMovesForward()
    {
        var offset = Offset();

        await offset.AdvanceAsync(501);
        await offset.AdvanceAsync(499);

        Assert.Equal(501, await offset.GetAsync());
    }

    [Fact]
    public async Task TheOffsetOutlivesTheActivation()
    {
        var offset = Offset();
        await offset.AdvanceAsync(42);

        await fixture.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        Assert.Equal(42, await offset.GetAsync());
    }

    [Fact]
    public async Task OneNodePollsAtATimeAndAnotherTakesOverWhenItsLeaseRunsOut()
    {
        var offset = Offset();
        var lease = TimeSpan.FromMilliseconds(300);

        var first = await offset.HoldAsync("node-a", lease);
        var secondWhileHeld = await offset.HoldAsync("node-b", lease);
        var renewed = await offset.HoldAsync("node-a", lease);
        await Task.Delay(lease * 2);
        var secondAfterExpiry = await offset.HoldAsync("node-b", lease);
        var firstAfterLosingIt = await offset.HoldAsync("node-a", lease);

        Assert.Equal((true, false, true), (first, secondWhileHeld, renewed));
        Assert.Equal((true, false), (secondAfterExpiry, firstAfterLosingIt));
    }
}
