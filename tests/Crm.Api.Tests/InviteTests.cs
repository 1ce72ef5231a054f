using System.Net;
using System.Net.Http.Json;
using Crm.Grains;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Api.Tests;

/// <summary>Invitations by link: one use, an expiry, one 404 for every link that does not open, and only admins invite.</summary>
[Collection(ApiCollection.Name)]
public sealed class InviteTests(ApiFixture fixture)
{
    private const string Password = "a brand new password";

    private CrmApiFactory Factory => fixture.Factory;

    private static string FreshEmail() => $"i{Guid.NewGuid():N}@example.com";

    private static string TokenOf(string inviteUrl) => inviteUrl[(inviteUrl.IndexOf("#/invite/", StringComparison.Ordinal) + "#/invite/".Length)..];

    private static async Task<(string UserId, string Email, string Token)> InviteAsync(Tenant tenant, string role = "agent")
    {
        var email = FreshEmail();
        var response = await tenant.Admin.PostAsJsonAsync("/api/v1/users", new { name = "Noor", role, email });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.BodyAsync();
        return (body.Str("id"), email, TokenOf(body.Str("inviteUrl")));
    }

    private HttpClient Browser() => Factory.CreateDefaultClient(new CookieContainerHandler(new CookieContainer()));

    [Fact]
    public async Task TheInvitedPersonSetsAPasswordThroughTheLinkAndIsSignedIn()
    {
        var tenant = await Factory.CreateTenantAsync("Invite Co");
        var (userId, email, token) = await InviteAsync(tenant);
        var browser = Browser();

        var shown = await browser.GetOkAsync($"/api/v1/invites/{token}");
        var accepted = await browser.PostAsJsonAsync($"/api/v1/invites/{token}/accept", new { password = Password });

        Assert.Equal((email, "Noor", "Invite Co"), (shown.Str("email"), shown.Str("name"), shown.Str("tenantName")));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var session = await browser.GetOkAsync("/api/v1/session");
        Assert.Equal((userId, "agent"), (session.Str("userId"), session.Str("role")));
        var signIn = await Factory.CreateClient().PostAsJsonAsync("/api/v1/session", new { email, password = Password });
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var audit = await tenant.Admin.GetOkAsync("/api/v1/audit?limit=200");
        Assert.Contains(audit.GetProperty("items").EnumerateArray(), e => e.Str("action") == "user.invite_accepted" && e.Str("subjectId") == userId);
    }

    [Fact]
    public async Task AUsedLinkAnUnknownOneAndAReplacedOneAllGetTheSame404()
    {
        var tenant = await Factory.CreateTenantAsync();
        var (userId, _, used) = await InviteAsync(tenant);
        var accepted = await Browser().PostAsJsonAsync($"/api/v1/invites/{used}/accept", new { password = Password });
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var (other, _, replaced) = await InviteAsync(tenant);
        var reinvited = await tenant.Admin.PutAsync($"/api/v1/users/{other}/invite", null);
        Assert.Equal(HttpStatusCode.OK, reinvited.StatusCode);
        var wrong = $"{tenant.Id}.{userId}.{Ids.Secret()}";

        var answers = new List<HttpResponseMessage>();
        foreach (var token in new[] { used, replaced, wrong, "not-a-token" })
        {
            answers.Add(await Browser().GetAsync($"/api/v1/invites/{token}"));
            answers.Add(await Browser().PostAsJsonAsync($"/api/v1/invites/{token}/accept", new { password = Password }));
        }

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.NotFound, a.StatusCode));
        var details = await Task.WhenAll(answers.Select(async a => (await a.BodyAsync()).Str("detail")));
        Assert.Single(details.Distinct());
        Assert.All(answers, a => Assert.False(a.Headers.Contains("Set-Cookie")));
    }

    [Fact]
    public async Task AnExpiredLinkGets404()
    {
        var tenant = await Factory.CreateTenantAsync();
        var (userId, _, _) = await InviteAsync(tenant);
        var (token, hash) = InviteTokens.Issue(tenant.Id, userId);
        var grain = Factory.Services.GetRequiredService<IGrainFactory>().GetGrain<ITenantGrain>(tenant.Id);
        var now = Factory.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        await grain.InviteAsync(userId, hash, now.AddSeconds(-1), Actor.System(tenant.Id));

        var shown = await Browser().GetAsync($"/api/v1/invites/{token}");
        var accepted = await Browser().PostAsJsonAsync($"/api/v1/invites/{token}/accept", new { password = Password });

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (shown.StatusCode, accepted.StatusCode));
    }

    [Fact]
    public async Task AShortPasswordIsRefusedNamingPasswordAndTheLinkStillWorks()
    {
        var tenant = await Factory.CreateTenantAsync();
        var (_, _, token) = await InviteAsync(tenant);
        var browser = Browser();

        var refused = await browser.PostAsJsonAsync($"/api/v1/invites/{token}/accept", new { password = "short" });

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.True((await refused.BodyAsync()).GetProperty("errors").TryGetProperty("password", out _));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/api/v1/invites/{token}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.PostAsJsonAsync($"/api/v1/invites/{token}/accept", new { password = Password })).StatusCode);
    }

    [Fact]
    public async Task OnlyAnAdminInvites()
    {
        var tenant = await Factory.CreateTenantAsync();
        var lead = await tenant.Admin.PostAsJsonAsync("/api/v1/users", new { name = "Lee", role = "lead" });
        var leadClient = Factory.ClientWithKey((await lead.BodyAsync()).Str("apiKey"));
        var (userId, _, _) = await InviteAsync(tenant);

        var invite = await leadClient.PostAsJsonAsync("/api/v1/users", new { name = "Sam", role = "agent", email = FreshEmail() });
        var reinvite = await leadClient.PutAsync($"/api/v1/users/{userId}/invite", null);

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), (invite.StatusCode, reinvite.StatusCode));
    }

    [Fact]
    public async Task ANewLinkEndsTheUsersSessionsAndTheOldLinkStopsWorking()
    {
        var tenant = await Factory.CreateTenantAsync();
        var (userId, _, first) = await InviteAsync(tenant);
        var browser = Browser();
        Assert.Equal(HttpStatusCode.OK, (await browser.PostAsJsonAsync($"/api/v1/invites/{first}/accept", new { password = Password })).StatusCode);

        var reinvited = await tenant.Admin.PutAsync($"/api/v1/users/{userId}/invite", null);

        Assert.Equal(HttpStatusCode.OK, reinvited.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/v1/session")).StatusCode);
        var second = TokenOf((await reinvited.BodyAsync()).Str("inviteUrl"));
        Assert.Equal(HttpStatusCode.OK, (await Browser().GetAsync($"/api/v1/invites/{second}")).StatusCode);
    }
}
