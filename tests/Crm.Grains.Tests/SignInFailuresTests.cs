namespace Crm.Grains.Tests;

public sealed class SignInFailuresTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private static SignInFailures Fail(int times, int max = 5, TimeSpan? apart = null)
    {
        var failures = SignInFailures.None;
        for (var i = 0; i < times; i++)
            failures = failures.Add(Start + (apart ?? TimeSpan.FromMinutes(1)) * i, max);
        return failures;
    }

    [Fact]
    public void TheFailureThatReachesTheLimitLocksUntilTheWindowFromTheFirstEnds()
    {
        var failures = Fail(5);

        Assert.Null(Fail(4).LockedUntil(Start.AddMinutes(4)));
        Assert.Equal(Start + SignInFailures.Window, failures.LockedUntil(Start.AddMinutes(5)));
        Assert.Null(failures.LockedUntil(Start + SignInFailures.Window));
    }

    [Fact]
    public void FailuresFurtherApartThanTheWindowStartANewCount()
    {
        var failures = Fail(6, apart: TimeSpan.FromMinutes(4));

        Assert.Equal(2, failures.Count);
        Assert.Null(failures.LockedUntil(Start.AddMinutes(21)));
    }
}
