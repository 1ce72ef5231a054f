using System.Security.Cryptography;
using System.Text;
using Crm.Grains;
using Crm.Providers.Website;

namespace Crm.Providers.Tests.Website;

public sealed class WidgetSessionsTests
{
    private const string SiteSecret = "site-secret-1-of-at-least-32-chars";
    private readonly ManualClock clock = new(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
    private readonly WidgetSessions sessions;

    public WidgetSessionsTests()
    {
        var options = new ChannelOptions();
        options.Tenants["tn_1"] = new TenantChannels
        {
            Widget = new WidgetSettings { SiteKey = "pk_site_1", SiteSecret = SiteSecret, TokenSecret = "token-secret-1-of-at-least-32-chars", TokenLifetime = TimeSpan.FromHours(2) },
        };
        options.Tenants["tn_2"] = new TenantChannels { Widget = new WidgetSettings { SiteKey = "pk_site_2", TokenSecret = "token-secret-2-of-at-least-32-chars" } };
        sessions = new WidgetSessions(new FixedOptions(options), clock);
    }

    private static string HashOf(string identifier) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(SiteSecret), Encoding.UTF8.GetBytes(identifier)));

    [Fact]
    public void ASiteKeyStartsASessionOfItsTenantThatAuthenticatesUntilItExpires()
    {
        var (session, error) = sessions.Start("pk_site_1", null, null, "Maya", null);

        Assert.Equal(WidgetSessionError.None, error);
        Assert.Equal(("tn_1", "Maya", clock.Now.AddHours(2)), (session!.Claims.TenantId, session.Claims.Name, session.Claims.ExpiresAt));
        Assert.True(Ids.IsWellFormed(session.Claims.VisitorId));
        Assert.Equal(session.Claims, sessions.Authenticate(session.Token));
        clock.Now = clock.Now.AddHours(2);
        Assert.Null(sessions.Authenticate(session.Token));
    }

    [Fact]
    public void AnUnknownSiteKeyStartsNothing()
    {
        Assert.Equal(WidgetSessionError.UnknownSite, sessions.Start("pk_nope", null, null, null, null).Error);
    }

    [Fact]
    public void AnonymousVisitorsAreNewVisitorsUnlessTheyBringTheirOldToken()
    {
        var first = sessions.Start("pk_site_1", null, null, "Maya", null).Session!;
        clock.Now = clock.Now.AddDays(3);

        var stranger = sessions.Start("pk_site_1", null, null, null, null).Session!;
        var returning = sessions.Start("pk_site_1", null, null, null, first.Token).Session!;

        Assert.NotEqual(first.Claims.VisitorId, stranger.Claims.VisitorId);
        Assert.Equal((first.Claims.VisitorId, "Maya"), (returning.Claims.VisitorId, returning.Claims.Name));
        Assert.NotNull(sessions.Authenticate(returning.Token));
        Assert.Equal((true, true, false), (first.IsNewVisitor, stranger.IsNewVisitor, returning.IsNewVisitor));
    }

    [Fact]
    public void AnotherSitesTokenDoesNotCarryItsVisitorOver()
    {
        var other = sessions.Start("pk_site_2", null, null, null, null).Session!;

        var session = sessions.Start("pk_site_1", null, null, null, other.Token).Session!;

        Assert.NotEqual(other.Claims.VisitorId, session.Claims.VisitorId);
    }

    [Fact]
    public void AnIdentifiedUserIsTheSameVisitorInEverySession()
    {
        var first = sessions.Start("pk_site_1", "customer-42", HashOf("customer-42"), "Maya", null).Session!;
        var second = sessions.Start("pk_site_1", "customer-42", HashOf("customer-42"), null, null).Session!;

        Assert.Equal(first.Claims.VisitorId, second.Claims.VisitorId);
        Assert.Equal("customer-42", sessions.Authenticate(second.Token)!.Identifier);
        Assert.False(first.IsNewVisitor || second.IsNewVisitor, "an identified visitor's id is the identifier's, never a new one");
    }

    [Fact]
    public void AWrongOrMissingIdentityHashIsRejected()
    {
        Assert.Equal(WidgetSessionError.IdentityNotProven, sessions.Start("pk_site_1", "customer-42", HashOf("customer-43"), null, null).Error);
        Assert.Equal(WidgetSessionError.IdentityNotProven, sessions.Start("pk_site_1", "customer-42", null, null, null).Error);
        Assert.Equal(WidgetSessionError.IdentityNotProven, sessions.Start("pk_site_2", "customer-42", HashOf("customer-42"), null, null).Error);
    }

    [Theory]
    [InlineData("token-secret-of-31-characters-x", null)]
    [InlineData("token-secret-of-at-least-32-chars", "site-secret-of-31-characters-xx")]
    public void AWidgetWithASecretShorterThan32CharactersIsOff(string tokenSecret, string? siteSecret)
    {
        var options = new ChannelOptions();
        var widget = new WidgetSettings { SiteKey = "pk_short", TokenSecret = tokenSecret, SiteSecret = siteSecret };
        options.Tenants["tn_3"] = new TenantChannels { Widget = widget };
        var shortSecrets = new WidgetSessions(new FixedOptions(options), clock);

        var (session, error) = shortSecrets.Start("pk_short", null, null, "Maya", null);

        Assert.Equal((null, WidgetSessionError.UnknownSite), (session, error));
        Assert.Null(shortSecrets.Settings("tn_3"));
        Assert.False(new WebsiteAdapter().Serves(Transport.Website, options.Tenants["tn_3"]));
        Assert.Single(ChannelSecretRules.Problems("tn_3", options.Tenants["tn_3"]), p => p.Contains(siteSecret is null ? "TokenSecret" : "SiteSecret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AReplyToAVisitorIsDeliveredAtOnceWithoutAProvider()
    {
        var adapter = new WebsiteAdapter();
        var channels = new TenantChannels { Widget = new WidgetSettings { SiteKey = "pk", TokenSecret = "token-secret-of-at-least-32-chars" } };

        var outcome = await adapter.SendAsync(new OutboundEnvelope { Transport = Transport.Website, To = "website:vis_1", Text = "hi" }, channels, CancellationToken.None);

        Assert.Equal((SendOutcomeKind.Sent, MessageStatus.Sent), (outcome.Kind, outcome.Status));
        Assert.True(adapter.Serves(Transport.Website, channels));
        Assert.False(adapter.Serves(Transport.Website, new TenantChannels()));
        Assert.False(adapter.Serves(Transport.Whatsapp, channels));
    }
}
