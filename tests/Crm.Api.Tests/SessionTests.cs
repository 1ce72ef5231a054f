using System.Net;
using System.Net.Http.Json;
using Crm.Grains;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;

namespace Crm.Api.Tests;

/// <summary>People's sign-in: password rules, the session cookie as a second way in, antiforgery and sign-out.</summary>
[Collection(ApiCollection.Name)]
public sealed class SessionTests(ApiFixture fixture)
{
    private const string Password = "correct horse battery";

    private CrmApiFactory Factory => fixture.Factory;

    private static string FreshEmail() => $"u{Guid.NewGuid():N}@example.com";

    /// <summary>A user of a new tenant who can sign in with <see cref="Password"/>.</summary>
    private async Task<(Tenant Tenant, string Email, string UserId)> PersonAsync(string role = "agent")
    {
        var tenant = await Factory.CreateTenantAsync();
        var email = FreshEmail();
        var response = await tenant.Admin.PostAsJsonAsync("/api/v1/users", new { name = "Pat", role, email, password = Password });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (tenant, email, (await response.BodyAsync()).Str("id"));
    }

    /// <summary>A cookie-holding client, signed in; with <paramref name="antiforgery"/> it sends the token too.</summary>
    private async Task<HttpClient> SignedInAsync(string email, string password = Password, bool antiforgery = true) =>
        (await BrowserAsync(email, password, antiforgery)).Http;

    private async Task<(HttpClient Http, CookieContainer Jar)> BrowserAsync(string email, string password = Password, bool antiforgery = true)
    {
        var jar = new CookieContainer();
        var browser = Factory.CreateDefaultClient(new CookieContainerHandler(jar));
        var response = await browser.PostAsJsonAsync("/api/v1/session", new { email, password });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        if (antiforgery)
        {
            var session = await browser.GetOkAsync("/api/v1/session");
            browser.DefaultRequestHeaders.Add(session.Str("antiforgeryHeader"), session.Str("antiforgeryToken"));
        }
        return (browser, jar);
    }

    [Fact]
    public async Task AWrongPasswordAndAnUnknownEmailGetTheSameGeneric401()
    {
        var (_, email, _) = await PersonAsync();
        var browser = Factory.CreateClient();

        var wrong = await browser.PostAsJsonAsync("/api/v1/session", new { email, password = "not the password" });
        var unknown = await browser.PostAsJsonAsync("/api/v1/session", new { email = FreshEmail(), password = Password });

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (wrong.StatusCode, unknown.StatusCode));
        var (wrongBody, unknownBody) = (await wrong.BodyAsync(), await unknown.BodyAsync());
        Assert.Equal((wrongBody.Str("title"), wrongBody.Str("detail")), (unknownBody.Str("title"), unknownBody.Str("detail")));
        Assert.False(wrong.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task TheSessionCookieIsHttpOnlyAndSameSite()
    {
        var (_, email, _) = await PersonAsync();

        var response = await Factory.CreateClient().PostAsJsonAsync("/api/v1/session", new { email, password = Password });

        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(CookieSessions.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task TheCookieOpensEveryEndpointTheRoleMayUse()
    {
        var (_, email, userId) = await PersonAsync("agent");
        var browser = await SignedInAsync(email);

        var me = await browser.GetOkAsync("/api/v1/me");
        var created = await browser.PostAsJsonAsync("/api/v1/clients", new { firstName = "Ann" });
        var users = await browser.GetAsync("/api/v1/users");

        Assert.Equal((userId, "agent"), (me.Str("userId"), me.Str("role")));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, users.StatusCode);
    }

    [Fact]
    public async Task AnUnsafeRequestOnTheCookieWithoutTheAntiforgeryTokenIsRefused()
    {
        var (tenant, email, _) = await PersonAsync();
        var browser = await SignedInAsync(email, antiforgery: false);

        var response = await browser.PostAsJsonAsync("/api/v1/clients", new { firstName = "Forged" });

        await response.AssertProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(0, (await tenant.Admin.GetOkAsync("/api/v1/clients")).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task SigningOutEndsTheSessionEvenForACopyOfTheCookie()
    {
        var (_, email, _) = await PersonAsync();
        var (browser, jar) = await BrowserAsync(email);
        var copy = Factory.CreateClient(new() { HandleCookies = false });
        copy.DefaultRequestHeaders.Add("Cookie", jar.GetCookieHeader(new Uri("http://localhost/")));
        var elsewhere = await SignedInAsync(email);
        Assert.Equal(HttpStatusCode.OK, (await copy.GetAsync("/api/v1/me")).StatusCode);

        var signOut = await browser.DeleteAsync("/api/v1/session");

        Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await copy.GetAsync("/api/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await elsewhere.GetAsync("/api/v1/me")).StatusCode);
    }

    [Fact]
    public async Task SalesCannotInviteUsers()
    {
        var (_, email, _) = await PersonAsync("sales");
        var browser = await SignedInAsync(email);

        var response = await browser.PostAsJsonAsync("/api/v1/users", new { name = "Eve", role = "admin", email = FreshEmail(), password = Password });

        await response.AssertProblemAsync(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AnAdminsPasswordResetEndsTheUsersSessionsAndTheNewPasswordWorks()
    {
        var (tenant, email, userId) = await PersonAsync();
        var browser = await SignedInAsync(email);

        var reset = await tenant.Admin.PutAsJsonAsync($"/api/v1/users/{userId}/password", new { password = "a brand new secret" });

        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/v1/me")).StatusCode);
        var old = await Factory.CreateClient().PostAsJsonAsync("/api/v1/session", new { email, password = Password });
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        await SignedInAsync(email, "a brand new secret");
    }

    [Fact]
    public async Task UsersChangeTheirOwnPasswordOnlyWithTheCurrentOne()
    {
        var (_, email, _) = await PersonAsync();
        var browser = await SignedInAsync(email);

        var wrong = await browser.PutAsJsonAsync("/api/v1/me/password", new { currentPassword = "not it at all", newPassword = "another long secret" });
        var changed = await browser.PutAsJsonAsync("/api/v1/me/password", new { currentPassword = Password, newPassword = "another long secret" });

        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/me")).StatusCode);
        await SignedInAsync(email, "another long secret");
    }

    [Fact]
    public async Task RepeatedFailuresLockTheEmailEvenAgainstTheRightPassword()
    {
        var (_, email, _) = await PersonAsync();
        var browser = Factory.CreateClient();
        for (var i = 0; i < new RateLimitOptions().SignInFailuresPerEmail; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await browser.PostAsJsonAsync("/api/v1/session", new { email, password = $"guess number {i}" })).StatusCode);

        var response = await browser.PostAsJsonAsync("/api/v1/session", new { email, password = Password });

        await response.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.True(response.Headers.RetryAfter is not null);
    }

    [Fact]
    public async Task AnEmailSignsInToOneUserAcrossAllTenants()
    {
        var (_, email, _) = await PersonAsync();
        var other = await Factory.CreateTenantAsync();

        var response = await other.Admin.PostAsJsonAsync("/api/v1/users", new { name = "Twin", role = "agent", email = email.ToUpperInvariant(), password = Password });

        await response.AssertProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task PasswordsAreValidatedAndTheirHashIsNeverShown()
    {
        var tenant = await Factory.CreateTenantAsync();

        var weak = await tenant.Admin.PostAsJsonAsync("/api/v1/users", new { name = "Weak", role = "agent", email = FreshEmail(), password = "short" });
        var (_, _, userId) = await PersonAsync();
        var users = await tenant.Admin.RawAsync("/api/v1/users");

        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
        Assert.True((await weak.BodyAsync()).GetProperty("errors").TryGetProperty("password", out _));
        Assert.DoesNotContain("AQAAAA", users, StringComparison.Ordinal);
        Assert.DoesNotContain("hash", users, StringComparison.OrdinalIgnoreCase);
        Assert.NotNull(userId);
    }

    [Fact]
    public async Task SignInsAndPasswordChangesAreAudited()
    {
        var (tenant, email, userId) = await PersonAsync();
        await Factory.CreateClient().PostAsJsonAsync("/api/v1/session", new { email, password = "wrong password!" });
        var browser = await SignedInAsync(email);
        await tenant.Admin.PutAsJsonAsync($"/api/v1/users/{userId}/password", new { password = "reset by the admin" });

        var audit = await tenant.Admin.GetOkAsync("/api/v1/audit?limit=50");

        var actions = audit.GetProperty("items").EnumerateArray().Where(e => e.Str("subjectId") == userId).Select(e => e.Str("action")).ToList();
        Assert.Contains("user.sign_in_failed", actions);
        Assert.Contains("user.signed_in", actions);
        Assert.Contains("user.password_reset", actions);
        Assert.NotNull(browser);
    }

    [Fact]
    public async Task ATenantCanBeCreatedWithAnAdminWhoSignsIn()
    {
        using var system = Factory.ClientWithKey(CrmApiFactory.SystemKey);
        var email = FreshEmail();

        var response = await system.PostAsJsonAsync("/api/v1/tenants", new { name = "Console Co", adminEmail = email, adminPassword = Password });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var browser = await SignedInAsync(email);
        Assert.Equal(EnumText.Of(Role.Admin), (await browser.GetOkAsync("/api/v1/me")).Str("role"));
    }
}
