using System.Security.Cryptography;
using System.Text;
using Crm.Providers.Website;

namespace Crm.Providers.Tests.Website;

public sealed class WidgetIdentityTests
{
    private const string SiteSecret = "site-secret-shared-with-the-backend";

    private static string HashOf(string secret, string identifier) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(identifier)));

    [Fact]
    public void TheHashTheSitesBackendComputesProvesTheIdentifier()
    {
        Assert.True(WidgetIdentity.IsProven(SiteSecret, "user-42@example.com", HashOf(SiteSecret, "user-42@example.com")));
        Assert.True(WidgetIdentity.IsProven(SiteSecret, "user-42@example.com", HashOf(SiteSecret, "user-42@example.com").ToUpperInvariant()));
    }

    [Fact]
    public void AHashForAnotherIdentifierOrSecretProvesNothing()
    {
        Assert.False(WidgetIdentity.IsProven(SiteSecret, "user-42@example.com", HashOf(SiteSecret, "user-43@example.com")));
        Assert.False(WidgetIdentity.IsProven(SiteSecret, "user-42@example.com", HashOf("another-secret", "user-42@example.com")));
        Assert.False(WidgetIdentity.IsProven(SiteSecret, "user-42@example.com", null));
        Assert.False(WidgetIdentity.IsProven(SiteSecret, "user-42@example.com", "zz" + HashOf(SiteSecret, "user-42@example.com")[2..]));
        Assert.False(WidgetIdentity.IsProven(null, "user-42@example.com", HashOf("", "user-42@example.com")));
    }

    [Fact]
    public void TheSameIdentifierIsTheSameVisitorInItsTenantOnly()
    {
        Assert.Equal(WidgetIdentity.VisitorIdFor("tn_1", "user-42"), WidgetIdentity.VisitorIdFor("tn_1", "user-42"));
        Assert.NotEqual(WidgetIdentity.VisitorIdFor("tn_1", "user-42"), WidgetIdentity.VisitorIdFor("tn_2", "user-42"));
        Assert.NotEqual(WidgetIdentity.VisitorIdFor("tn_1", "user-42"), WidgetIdentity.VisitorIdFor("tn_1", "user-43"));
        Assert.True(Crm.Grains.Ids.IsWellFormed(WidgetIdentity.VisitorIdFor("tn_1", "user-42")));
    }
}
