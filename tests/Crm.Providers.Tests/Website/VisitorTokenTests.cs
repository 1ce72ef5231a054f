using Crm.Providers.Website;

namespace Crm.Providers.Tests.Website;

public sealed class VisitorTokenTests
{
    private const string Secret = "token-secret-of-tn-1";
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly VisitorClaims Claims = new("tn_1", "vis_0199", Now.AddHours(1), "Maya", null);

    private static string? SecretOf(string tenantId) => tenantId == "tn_1" ? Secret : tenantId == "tn_2" ? "token-secret-of-tn-2" : null;

    [Fact]
    public void AnIssuedTokenReadsBackAsTheSameVisitor()
    {
        var token = VisitorTokens.Issue(Claims, Secret);

        var check = VisitorTokens.Read(token, SecretOf, Now);

        Assert.Equal(VisitorTokenStatus.Valid, check.Status);
        Assert.Equal(Claims, check.Claims);
    }

    [Fact]
    public void AnExpiredTokenIsNotValid()
    {
        var token = VisitorTokens.Issue(Claims, Secret);

        var check = VisitorTokens.Read(token, SecretOf, Now.AddHours(1).AddSeconds(1));

        Assert.Equal(VisitorTokenStatus.Expired, check.Status);
    }

    [Fact]
    public void ATokenWhoseClaimsWereChangedIsInvalid()
    {
        var token = VisitorTokens.Issue(Claims, Secret);
        var parts = token.Split('.');
        var forged = VisitorTokens.Issue(Claims with { VisitorId = "vis_someone_else" }, "guessed-secret").Split('.')[1];

        Assert.Equal(VisitorTokenStatus.Invalid, VisitorTokens.Read($"{parts[0]}.{forged}.{parts[2]}", SecretOf, Now).Status);
        Assert.Equal(VisitorTokenStatus.Invalid, VisitorTokens.Read(token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1], SecretOf, Now).Status);
    }

    [Fact]
    public void ATokenSignedWithAnotherTenantsSecretIsInvalid()
    {
        var token = VisitorTokens.Issue(Claims, "token-secret-of-tn-2");

        Assert.Equal(VisitorTokenStatus.Invalid, VisitorTokens.Read(token, SecretOf, Now).Status);
    }

    [Fact]
    public void ATokenOfATenantWithoutAWidgetIsInvalid()
    {
        var token = VisitorTokens.Issue(Claims with { TenantId = "tn_9" }, Secret);

        Assert.Equal(VisitorTokenStatus.Invalid, VisitorTokens.Read(token, SecretOf, Now).Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("wv1.abc")]
    [InlineData("wv1.!!!.abc")]
    [InlineData("crm.tn_1.us_1.secretsecretsecretsecret")]
    public void GarbageIsInvalid(string? token)
    {
        Assert.Equal(VisitorTokenStatus.Invalid, VisitorTokens.Read(token, SecretOf, Now).Status);
    }
}
