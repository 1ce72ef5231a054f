using System.Text;
using Crm.Providers.Meta;
using Crm.Testing;

namespace Crm.Providers.Tests.Meta;

public sealed class MetaSignatureTests
{
    private const string Secret = "app-secret-0123456789";
    private static readonly string Body = MetaWebhookBodies.WhatsAppText("106540352242922", "14155550123", "Ann", "wamid.ABC", "hello");

    [Fact]
    public void TheSignatureMetaComputesIsAccepted()
    {
        var header = MetaWebhookBodies.Sign(Secret, Body);

        Assert.True(MetaSignature.IsValid(Secret, Encoding.UTF8.GetBytes(Body), header));
    }

    [Fact]
    public void AKnownHmacSha256VectorIsAccepted()
    {
        // RFC-style published vector: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
        const string header = "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8";

        Assert.True(MetaSignature.IsValid("key", "The quick brown fox jumps over the lazy dog"u8, header));
        Assert.True(MetaSignature.IsValid("key", "The quick brown fox jumps over the lazy dog"u8, header.ToUpperInvariant().Replace("SHA256=", "sha256=", StringComparison.Ordinal)));
    }

    [Fact]
    public void ATamperedBodyIsRejected()
    {
        var header = MetaWebhookBodies.Sign(Secret, Body);

        Assert.False(MetaSignature.IsValid(Secret, Encoding.UTF8.GetBytes(Body.Replace("hello", "HELLO", StringComparison.Ordinal)), header));
    }

    [Fact]
    public void AnotherAppsSecretIsRejected()
    {
        var header = MetaWebhookBodies.Sign("some-other-app-secret", Body);

        Assert.False(MetaSignature.IsValid(Secret, Encoding.UTF8.GetBytes(Body), header));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sha256=")]
    [InlineData("sha1=0123456789abcdef0123456789abcdef01234567")]
    [InlineData("sha256=zz7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd")]
    [InlineData("sha256=f7bc83f430538424b13298e6aa6fb143")]
    public void AMissingOrMalformedHeaderIsRejected(string? header)
    {
        Assert.False(MetaSignature.IsValid(Secret, Encoding.UTF8.GetBytes(Body), header));
    }

    [Fact]
    public void AnEmptyAppSecretAcceptsNothing()
    {
        var header = MetaWebhookBodies.Sign("", Body);

        Assert.False(MetaSignature.IsValid("", Encoding.UTF8.GetBytes(Body), header));
    }
}
