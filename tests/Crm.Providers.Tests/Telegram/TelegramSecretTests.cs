namespace Crm.Providers.Tests;

public sealed class TelegramSecretTests
{
    [Fact]
    public void TheConfiguredSecretMatches()
    {
        var valid = TelegramSecret.IsValid("s3cr3t_Token-1_of_16+", "s3cr3t_Token-1_of_16+");

        Assert.True(valid);
    }

    [Theory]
    [InlineData("s3cr3t_Token-2_of_16+")]
    [InlineData("s3cr3t_token-1_of_16+")]
    [InlineData("s3cr3t_Token-1_of_16+ ")]
    [InlineData("")]
    [InlineData(null)]
    public void AnyOtherOrMissingSecretFails(string? received)
    {
        var valid = TelegramSecret.IsValid("s3cr3t_Token-1_of_16+", received);

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

    [Theory]
    [InlineData("s")]
    [InlineData("fifteen_chars_x")]
    public void ASecretShorterThan16CharactersAcceptsNothingNotEvenItself(string configured)
    {
        var valid = TelegramSecret.IsValid(configured, configured);

        Assert.False(valid);
    }

    [Fact]
    public void ASecretOf16CharactersIsEnough()
    {
        var valid = TelegramSecret.IsValid("sixteen_chars_xy", "sixteen_chars_xy");

        Assert.True(valid);
    }
}
