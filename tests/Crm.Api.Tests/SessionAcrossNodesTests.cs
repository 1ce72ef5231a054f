using System.Net;
using System.Net.Http.Json;
using Crm.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Npgsql;

namespace Crm.Api.Tests;

/// <summary>Two API nodes of one cluster on one database, as behind a balancer: a browser may reach either.</summary>
public sealed class TwoNodesFixture : IAsyncLifetime
{
    public CrmApiFactory A { get; private set; } = null!;

    public CrmApiFactory B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        A = new CrmApiFactory(await PostgresServer.CreateDatabaseAsync());
        _ = A.Server;
        B = new CrmApiFactory(A.ConnectionString, A.ClusterId);
        _ = B.Server;
    }

    public async Task DisposeAsync()
    {
        await B.DisposeAsync();
        await A.DisposeAsync();
    }
}

public sealed class SessionAcrossNodesTests(TwoNodesFixture nodes) : IClassFixture<TwoNodesFixture>
{
    private const string Password = "correct horse battery";

    private async Task<string> PersonAsync()
    {
        var tenant = await nodes.A.CreateTenantAsync();
        var email = $"u{Guid.NewGuid():N}@example.com";
        var response = await tenant.Admin.PostAsJsonAsync("/api/v1/users", new { name = "Pat", role = "agent", email, password = Password });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return email;
    }

    private static HttpClient Browser(CrmApiFactory node, CookieContainer jar) => node.CreateDefaultClient(new CookieContainerHandler(jar));

    /// <summary>A user made on node A, with its key and a browser signed in on node B.</summary>
    private async Task<(Tenant Tenant, string UserId, HttpClient KeyOnB, HttpClient BrowserOnB)> UserSeenOnBAsync(string role)
    {
        var tenant = await nodes.A.CreateTenantAsync();
        var email = $"u{Guid.NewGuid():N}@example.com";
        var created = await tenant.Admin.PostAsJsonAsync("/api/v1/users", new { name = "Pat", role, email, password = Password });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var user = await created.BodyAsync();
        var browserOnB = Browser(nodes.B, new CookieContainer());
        Assert.Equal(HttpStatusCode.OK, (await browserOnB.PostAsJsonAsync("/api/v1/session", new { email, password = Password })).StatusCode);
        var keyOnB = nodes.B.ClientWithKey(user.Str("apiKey"));
        // Twice each, so that node B answers from what it cached.
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(role, (await keyOnB.GetOkAsync("/api/v1/me")).Str("role"));
            Assert.Equal(role, (await browserOnB.GetOkAsync("/api/v1/me")).Str("role"));
        }
        return (tenant, user.Str("id"), keyOnB, browserOnB);
    }

    [Fact]
    public async Task AUserDeactivatedOnOneNodeIsLockedOutOfTheOtherByTheNextRequest()
    {
        var (tenant, userId, keyOnB, browserOnB) = await UserSeenOnBAsync("agent");

        var deactivated = await tenant.Admin.DeleteAsync($"/api/v1/users/{userId}");
        var key = await keyOnB.GetAsync("/api/v1/me");
        var cookie = await browserOnB.GetAsync("/api/v1/me");

        Assert.Equal(HttpStatusCode.OK, deactivated.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, key.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, cookie.StatusCode);
    }

    [Fact]
    public async Task ARoleChangedOnOneNodeHoldsOnTheOtherByTheNextRequest()
    {
        var (tenant, userId, keyOnB, browserOnB) = await UserSeenOnBAsync("agent");
        Assert.Equal(HttpStatusCode.Forbidden, (await keyOnB.GetAsync("/api/v1/audit")).StatusCode);

        var changed = await tenant.Admin.PatchAsJsonAsync($"/api/v1/users/{userId}", new { role = "lead" });
        var key = await keyOnB.GetOkAsync("/api/v1/me");
        var cookie = await browserOnB.GetOkAsync("/api/v1/me");
        var audit = await keyOnB.GetAsync("/api/v1/audit");

        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(("lead", "lead"), (key.Str("role"), cookie.Str("role")));
        Assert.Equal(HttpStatusCode.OK, audit.StatusCode);
    }

    [Fact]
    public async Task AKeyRotatedOrAPasswordResetOnOneNodeEndsTheOldCredentialsOnTheOther()
    {
        var (tenant, userId, keyOnB, browserOnB) = await UserSeenOnBAsync("sales");

        var rotated = await tenant.Admin.PostAsync($"/api/v1/users/{userId}/keys", null);
        var reset = await tenant.Admin.PutAsJsonAsync($"/api/v1/users/{userId}/password", new { password = "another long password" });
        var oldKey = await keyOnB.GetAsync("/api/v1/me");
        var cookie = await browserOnB.GetAsync("/api/v1/me");
        using var newKeyOnB = nodes.B.ClientWithKey((await rotated.BodyAsync()).Str("apiKey"));

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.OK), (rotated.StatusCode, reset.StatusCode));
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (oldKey.StatusCode, cookie.StatusCode));
        Assert.Equal("sales", (await newKeyOnB.GetOkAsync("/api/v1/me")).Str("role"));
    }

    [Fact]
    public async Task ASessionMadeOnOneNodeWorksOnTheOtherAndEndsOnBoth()
    {
        var email = await PersonAsync();
        var jar = new CookieContainer();
        var onA = Browser(nodes.A, jar);
        var onB = Browser(nodes.B, jar);
        Assert.Equal(HttpStatusCode.OK, (await onA.PostAsJsonAsync("/api/v1/session", new { email, password = Password })).StatusCode);
        var session = await onA.GetOkAsync("/api/v1/session");
        onB.DefaultRequestHeaders.Add(session.Str("antiforgeryHeader"), session.Str("antiforgeryToken"));
        var cookies = jar.GetCookieHeader(onA.BaseAddress!);

        var created = await onB.PostAsJsonAsync("/api/v1/clients", new { firstName = "Ann" });
        var signedOut = await onB.DeleteAsync("/api/v1/session");
        using var stale = nodes.A.CreateClient();
        stale.DefaultRequestHeaders.Add("Cookie", cookies);
        var afterwards = await stale.GetAsync("/api/v1/me");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, signedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, afterwards.StatusCode);
        Assert.True(await KeysInDatabaseAsync() > 0, "the key ring is not in PostgreSQL (in-process hosts would share one on disk)");
    }

    private async Task<long> KeysInDatabaseAsync()
    {
        await using var db = NpgsqlDataSource.Create(nodes.A.ConnectionString);
        await using var cmd = db.CreateCommand("select count(*) from crm_data_protection_keys");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task FailedSignInsOnOneNodeLockTheEmailOnTheOther()
    {
        var email = await PersonAsync();
        using var onA = nodes.A.CreateClient();
        using var onB = nodes.B.CreateClient();
        for (var i = 0; i < new RateLimitOptions().SignInFailuresPerEmail; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await onA.PostAsJsonAsync("/api/v1/session", new { email, password = $"guess number {i}" })).StatusCode);

        var response = await onB.PostAsJsonAsync("/api/v1/session", new { email, password = Password });

        await response.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.FromMinutes(14));
    }
}
