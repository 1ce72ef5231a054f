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
    public async Task AMailboxNeverReadHasNoMark() => Assert.Equal(MailboxMark.None, await Mailbox().GetMarkAsync());
}
