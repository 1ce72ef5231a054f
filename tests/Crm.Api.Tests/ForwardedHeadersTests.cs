using System.Net;
using System.Net.Http.Json;
using Crm.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Api.Tests;

/// <summary>
/// Behind an ingress: the client's address, scheme and host come from <c>X-Forwarded-*</c> only when a configured
/// proxy sends them. TestServer requests carry no remote address, so each host here puts a fixed peer address on the
/// connection before the API's pipeline runs (an <see cref="IStartupFilter"/>), as Kestrel would for a TCP peer:
/// the proxy's address for the host that trusts it, a loopback address (which ASP.NET Core trusts unless told
/// otherwise) for the host that trusts no proxy; a test may name another peer in <see cref="PeerHeader"/>.
/// Both hosts count 20 sign-ins a minute per address.
/// </summary>
public sealed class ForwardedHeadersTests(ForwardedHeadersTests.Hosts hosts) : IClassFixture<ForwardedHeadersTests.Hosts>
{
    private const string ProxyAddress = "10.20.30.40";
    private const string PublicBaseUrl = "https://crm.example.com";
    private const string Password = "correct horse battery";
    private const string PeerHeader = "X-Test-Peer";

    private static string FreshEmail() => $"p{Guid.NewGuid():N}@example.com";

    /// <summary>A wrong sign-in (an unknown email each time, so the per-email lockout never counts) as one client.</summary>
    private static async Task<HttpStatusCode> WrongSignInAsync(CrmApiFactory host, string forwardedFor, string? peer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/session")
        {
            Content = JsonContent.Create(new { email = FreshEmail(), password = "not the password" }),
        };
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        if (peer is not null)
            request.Headers.Add(PeerHeader, peer);
        using var response = await host.CreateClient().SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task BehindAKnownProxyTheSignInLimitLocksOutOnlyTheForwardedClientAddress()
    {
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 21; i++)
            answers.Add(await WrongSignInAsync(hosts.BehindProxy, "203.0.113.7"));
        var otherClient = await WrongSignInAsync(hosts.BehindProxy, "203.0.113.8");
        var sameClientViaAnotherHop = await WrongSignInAsync(hosts.BehindProxy, "198.51.100.1, 203.0.113.7");

        Assert.All(answers[..20], a => Assert.Equal(HttpStatusCode.Unauthorized, a));
        Assert.Equal(HttpStatusCode.TooManyRequests, answers[20]);
        Assert.Equal(HttpStatusCode.Unauthorized, otherClient);
        Assert.Equal(HttpStatusCode.TooManyRequests, sameClientViaAnotherHop);
    }

    [Fact]
    public async Task WithoutConfiguredProxiesASpoofedForwardedForDoesNotChangeTheAddressLimitsCount()
    {
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 21; i++)
            answers.Add(await WrongSignInAsync(hosts.NoProxy, $"192.0.2.{i + 1}", peer: "127.0.0.9"));

        Assert.All(answers[..20], a => Assert.Equal(HttpStatusCode.Unauthorized, a));
        Assert.Equal(HttpStatusCode.TooManyRequests, answers[20]);
    }

    [Fact]
    public async Task WithAnHttpsPublicUrlTheSessionCookieIsSecureAndInviteLinksStartWithIt()
    {
        var tenant = await hosts.NoProxy.CreateTenantAsync();

        var cookie = await SessionCookieAsync(hosts.NoProxy, tenant, client => { });
        var invite = await InviteUrlAsync(hosts.NoProxy, tenant, client => { });

        Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith(PublicBaseUrl + "/#/invite/", invite, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutAPublicUrlAProxysForwardedHttpsMakesTheCookieSecureAndTheLinksItsHost()
    {
        var tenant = await hosts.BehindProxy.CreateTenantAsync();
        static void Forwarded(HttpClient client)
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.20");
            client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
            client.DefaultRequestHeaders.Add("X-Forwarded-Host", "crm.example.org");
        }

        var forwarded = await SessionCookieAsync(hosts.BehindProxy, tenant, Forwarded);
        var direct = await SessionCookieAsync(hosts.BehindProxy, tenant, client => { });
        var invite = await InviteUrlAsync(hosts.BehindProxy, tenant, Forwarded);

        Assert.Contains("; secure", forwarded, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("; secure", direct, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("https://crm.example.org/#/invite/", invite, StringComparison.Ordinal);
    }

    /// <summary>Signs a new user of the tenant in and answers the session cookie's Set-Cookie header.</summary>
    private static async Task<string> SessionCookieAsync(CrmApiFactory host, Tenant tenant, Action<HttpClient> through)
    {
        var email = FreshEmail();
        var created = await tenant.Admin.PostAsJsonAsync("/api/v1/users", new { name = "Pat", role = "agent", email, password = Password });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var browser = host.CreateClient(new() { HandleCookies = false });
        through(browser);

        var response = await browser.PostAsJsonAsync("/api/v1/session", new { email, password = Password });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(CookieSessions.CookieName + "=", StringComparison.Ordinal));
    }

    /// <summary>Invites a new user with the tenant's admin key and answers the link shown to the admin.</summary>
    private static async Task<string> InviteUrlAsync(CrmApiFactory host, Tenant tenant, Action<HttpClient> through)
    {
        using var admin = host.ClientWithKey(tenant.AdminKey);
        through(admin);
        var response = await admin.PostAsJsonAsync("/api/v1/users", new { name = "Noor", role = "agent", email = FreshEmail() });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.BodyAsync()).Str("inviteUrl");
    }

    /// <summary>One host that trusts the proxy every request comes through, one that trusts none and has an https public URL.</summary>
    public sealed class Hosts : IAsyncLifetime
    {
        public CrmApiFactory BehindProxy { get; private set; } = null!;

        public CrmApiFactory NoProxy { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            BehindProxy = new PeerFactory(await PostgresServer.CreateDatabaseAsync(), ProxyAddress, builder =>
                builder.UseSetting("Crm:ForwardedHeaders:KnownProxies:0", ProxyAddress));
            NoProxy = new PeerFactory(await PostgresServer.CreateDatabaseAsync(), "127.0.0.1", builder =>
                builder.UseSetting("Crm:Channels:PublicBaseUrl", PublicBaseUrl));
            _ = (BehindProxy.Server, NoProxy.Server);
        }

        public async Task DisposeAsync()
        {
            await BehindProxy.DisposeAsync();
            await NoProxy.DisposeAsync();
        }
    }

    private sealed class PeerFactory(string connectionString, string peer, Action<IWebHostBuilder> configure) : CrmApiFactory(connectionString)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Crm:RateLimit:SignInsPerMinute", "20");
            configure(builder);
            builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter>(new PeerAddress(IPAddress.Parse(peer))));
        }
    }

    /// <summary>Puts the TCP peer's address (the host's, or the request's <see cref="PeerHeader"/>) on the connection, ahead of the API's middleware.</summary>
    private sealed class PeerAddress(IPAddress peer) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, inner) =>
            {
                http.Connection.RemoteIpAddress = IPAddress.TryParse(http.Request.Headers[PeerHeader].ToString(), out var named) ? named : peer;
                return inner(http);
            });
            next(app);
        };
    }
}
