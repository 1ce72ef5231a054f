namespace Crm.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class MailboxGrainTests(ClusterFixture fixture)
{
    private IMailboxGrain Mailbox() => fixture.Grains.GetGrain<IMailboxGrain>(MailboxMark.Key(Fresh.Tenant(), "desk@acme.test", "INBOX"));

    [Fact]
    public async Task TheMarkSurvivesDeactivationAndNeverGoesBackWithinOneUidValidity()
    {
        var mailbox = Mailbox();
        await mailbox.AdvanceAsync(new MailboxMark { UidValidity = 7, LastUid = 12 });

        await mailbox.AdvanceAsync(new MailboxMark { UidValidity = 7, LastUid = 9 });
        await fixture.Cluster.DeactivateAsync(mailbox);

        Assert.Equal(new MailboxMark { UidValidity = 7, LastUid = 12 }, await mailbox.GetMarkAsync());
    }

    [Fact]
    public async Task ANewUidValidityReplacesTheMark()
    {
        var mailbox = Mailbox();
        await mailbox.AdvanceAsync(new MailboxMark { UidValidity = 7, LastUid = 12 });

        await mailbox.AdvanceAsync(new MailboxMark { UidValidity = 8, LastUid = 1 });

        Assert.Equal(new MailboxMark { UidValidity = 8, LastUid = 1 }, await mailbox.GetMarkAsync());
    }

    [Fact]
    public async Task OneReaderHoldsTheLeaseUntilItReleasesIt()
    {
        var mailbox = Mailbox();
        var lease = TimeSpan.FromMinutes(1);

        var first = await mailbox.LeaseAsync("silo-a", lease);
        var second = await mailbox.LeaseAsync("silo-b", lease);
        var renewed = await mailbox.LeaseAsync("silo-a", lease);
        await mailbox.ReleaseAsync("silo-a");
        var afterRelease = await mailbox.LeaseAsync("silo-b", lease);

        Assert.Equal((true, false, true, true), (first, second, renewed, afterRelease));
    }

    [Fact]
    public async Task AnExpiredLeaseGoesToTheNextReader()
    {
        var mailbox = Mailbox();
        await mailbox.LeaseAsync("silo-a", TimeSpan.FromMilliseconds(50));

        await Task.Delay(200);

        Assert.True(await mailbox.LeaseAsync("silo-b", TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task AMailboxNeverReadHasNoMark() => Assert.Equal(MailboxMark.None, await Mailbox().GetMarkAsync());
}
