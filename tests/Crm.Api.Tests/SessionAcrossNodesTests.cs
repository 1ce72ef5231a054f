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
