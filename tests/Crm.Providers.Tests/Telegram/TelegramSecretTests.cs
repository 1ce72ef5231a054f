namespace Crm.Providers.Tests;

public sealed class TelegramSecretTests
{
    [Fact]
    public void TheConfiguredSecretMatches()
    {
        var valid = TelegramSecret.IsValid("s3cr3t_Token-1", "s3cr3t_Token-1");

        Assert.True(valid);
    }

    [Theory]
    [InlineData("s3cr3t_Token-2")]
    [InlineData("s3cr3t_token-1")]
    [InlineData("s3cr3t_Token-1 ")]
    [InlineData("")]
    [InlineData(null)]
    public void AnyOtherOrMissingSecretFails(string? received)
    {
        var valid = TelegramSecret.IsValid("s3cr3t_Token-1", received);

        Assert.False(valid);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void WithoutAConfiguredSecretNothingIsAccepted(string? configured)
    {
        var valid = TelegramSecret.IsValid(configured, "");

        Assert.False(valid);
    }
}
