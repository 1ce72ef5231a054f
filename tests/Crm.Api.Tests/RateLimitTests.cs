using System.Net;
using Crm.Testing;
using Microsoft.AspNetCore.Hosting;

namespace Crm.Api.Tests;

/// <summary>A host of its own with a tiny limit, so the test does not starve the shared one.</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private LimitedFactory _factory = null!;

    public async Task InitializeAsync() => _factory = new LimitedFactory(await PostgresServer.CreateDatabaseAsync());

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task AKeyOverItsLimitGets429WithRetryAfterWhileOtherKeysGoOn()
    {
        var greedy = await _factory.CreateTenantAsync("Greedy");
        var patient = await _factory.CreateTenantAsync("Patient");

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 6; i++)
            answers.Add(await greedy.Admin.GetAsync("/api/v1/me"));
        var other = await patient.Admin.GetAsync("/api/v1/me");

        var refused = answers.First(a => a.StatusCode == HttpStatusCode.TooManyRequests);
        await refused.AssertProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, answers[0].StatusCode);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    private sealed class LimitedFactory(string connectionString) : CrmApiFactory(connectionString)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Crm:RateLimit:RequestsPerSecond", "1");
            builder.UseSetting("Crm:RateLimit:Burst", "3");
        }
    }
}
