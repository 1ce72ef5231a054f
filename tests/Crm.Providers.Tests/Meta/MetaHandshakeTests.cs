using Crm.Providers.Meta;

namespace Crm.Providers.Tests.Meta;

public sealed class MetaHandshakeTests
{
    private static readonly MetaSettings Settings = new() { AppSecret = "s", VerifyToken = "verify-me-42" };

    [Fact]
    public void TheRightTokenGetsTheChallengeBack()
    {
        Assert.Equal("1158201444", MetaHandshake.Answer(Settings, "subscribe", "verify-me-42", "1158201444"));
    }

    [Theory]
    [InlineData("subscribe", "verify-me-43")]
    [InlineData("subscribe", "")]
    [InlineData("subscribe", null)]
    [InlineData("unsubscribe", "verify-me-42")]
    [InlineData(null, "verify-me-42")]
    public void AWrongTokenOrModeGetsNothing(string? mode, string? token)
    {
        Assert.Null(MetaHandshake.Answer(Settings, mode, token, "1158201444"));
    }

    [Fact]
    public void ATenantWithoutAVerifyTokenAcceptsNoSubscription()
    {
        Assert.Null(MetaHandshake.Answer(new MetaSettings { VerifyToken = "" }, "subscribe", "", "1158201444"));
    }
}
