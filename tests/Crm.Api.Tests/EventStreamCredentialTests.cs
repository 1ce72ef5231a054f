using System.Net;
using System.Net.Http.Json;
using Crm.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;

namespace Crm.Api.Tests;

/// <summary>An API host whose event streams re-check their credential every second and allow two per credential.</summary>
public sealed class EventStreamLimitsFixture : IAsyncLifetime
{
    public const int MaxStreams = 2;
    public static readonly TimeSpan RecheckPeriod = TimeSpan.FromSeconds(1);

    public CrmApiFactory Factory { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Factory = new ShortRecheckFactory(await PostgresServer.CreateDatabaseAsync());
        _ = Factory.Server;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    private sealed class ShortRecheckFactory(string connectionString) : CrmApiFactory(connectionString)
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Crm:Events:RecheckPeriod", RecheckPeriod.ToString());
            builder.UseSetting("Crm:Events:MaxStreamsPerCredential", MaxStreams.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}

/// <summary>Live event streams end with the credential that opened them, and a credential holds only so many open.</summary>
public sealed class EventStreamCredentialTests(EventStreamLimitsFixture fixture) : IClassFixture<EventStreamLimitsFixture>
{
    private const string Stream = "/api/v1/events/stream";
    private const string Password = "correct horse battery";
    private static readonly TimeSpan EndsWithin = EventStreamLimitsFixture.RecheckPeriod + TimeSpan.FromSeconds(10);

    private CrmApiFactory Factory => fixture.Factory;

    /// <summary>An open stream, past its <c>: connected</c> line.</summary>
    private static async Task<(HttpResponseMessage Response, StreamReader Reader)> OpenAsync(HttpClient http)
    {
        var response = await http.GetAsync(Stream, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal(": connected", await reader.ReadLineAsync());
        return (response, reader);
    }

    /// <summary>Reads until the line is seen; fails if the stream ends or stays silent first.</summary>
    private static async Task ReadUntilLineAsync(StreamReader reader, Func<string, bool> seen)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await reader.ReadLineAsync(cancel.Token) is { } line)
        {
            if (seen(line))
                return;
        }
        Assert.Fail("The stream ended before the expected event.");
    }

    /// <summary>Every line left on the stream, once its body completes; fails if it is still open after <see cref="EndsWithin"/>.</summary>
    private static async Task<List<string>> ReadToEndAsync(StreamReader reader)
    {
        using var cancel = new CancellationTokenSource(EndsWithin);
        var lines = new List<string>();
        try
        {
            while (await reader.ReadLineAsync(cancel.Token) is { } line)
                lines.Add(line);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Assert.Fail($"The stream was still open {EndsWithin.TotalSeconds} s after its credential stopped being valid; it sent: {string.Join(" | ", lines)}");
        }
        return lines;
    }

    [Fact]
    public async Task DeactivatingAnAgentEndsItsOpenStream()
    {
        var tenant = await Factory.CreateTenantAsync();
        var agent = await Factory.CreateUserAsync(tenant, "agent");
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        var (response, reader) = await OpenAsync(agent.Http);
        using var _ = response;
        await tenant.Admin.SendOkAsync(chatId, "before deactivation");
        await ReadUntilLineAsync(reader, line => line.Contains("before deactivation", StringComparison.Ordinal));

        var deactivated = await tenant.Admin.DeleteAsync($"/api/v1/users/{agent.Id}");
        await tenant.Admin.SendOkAsync(chatId, "after deactivation");
        var rest = await ReadToEndAsync(reader);

        Assert.True(deactivated.IsSuccessStatusCode, $"deactivation answered {deactivated.StatusCode}");
        Assert.DoesNotContain(rest, line => line.Contains("after deactivation", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Unauthorized, (await agent.Http.GetAsync(Stream)).StatusCode);
    }

    [Fact]
    public async Task RotatingTheKeyEndsTheStreamsOfTheOldKey()
    {
        var tenant = await Factory.CreateTenantAsync();
        var agent = await Factory.CreateUserAsync(tenant, "agent");
        var (response, reader) = await OpenAsync(agent.Http);
        using var _ = response;

        var rotated = await tenant.Admin.PostAsync($"/api/v1/users/{agent.Id}/keys", null);
        await ReadToEndAsync(reader);

        Assert.True(rotated.IsSuccessStatusCode, $"rotation answered {rotated.StatusCode}");
        var (fresh, _) = await OpenAsync(Factory.ClientWithKey((await rotated.BodyAsync()).Str("apiKey")));
        fresh.Dispose();
    }

    [Fact]
    public async Task SigningOutEndsTheSessionsOpenStream()
    {
        var tenant = await Factory.CreateTenantAsync();
        var email = $"u{Guid.NewGuid():N}@example.com";
        Assert.Equal(HttpStatusCode.Created, (await tenant.Admin.PostAsJsonAsync("/api/v1/users", new { name = "Pat", role = "agent", email, password = Password })).StatusCode);
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        var browser = Factory.CreateDefaultClient(new CookieContainerHandler(new CookieContainer()));
        Assert.Equal(HttpStatusCode.OK, (await browser.PostAsJsonAsync("/api/v1/session", new { email, password = Password })).StatusCode);
        var session = await browser.GetOkAsync("/api/v1/session");
        browser.DefaultRequestHeaders.Add(session.Str("antiforgeryHeader"), session.Str("antiforgeryToken"));
        var (response, reader) = await OpenAsync(browser);
        using var _ = response;

        var signedOut = await browser.DeleteAsync("/api/v1/session");
        await tenant.Admin.SendOkAsync(chatId, "after sign-out");
        var rest = await ReadToEndAsync(reader);

        Assert.Equal(HttpStatusCode.NoContent, signedOut.StatusCode);
        Assert.DoesNotContain(rest, line => line.Contains("after sign-out", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ACredentialHoldsAtMostTheLimitOfOpenStreamsAndClosingOneFreesItsSlot()
    {
        var tenant = await Factory.CreateTenantAsync();
        var agent = await Factory.CreateUserAsync(tenant, "agent");
        var open = new List<HttpResponseMessage>();
        for (var i = 0; i < EventStreamLimitsFixture.MaxStreams; i++)
            open.Add((await OpenAsync(agent.Http)).Response);

        using var refused = await agent.Http.GetAsync(Stream, HttpCompletionOption.ResponseHeadersRead);
        var (otherKey, _) = await OpenAsync(tenant.Admin);
        open[0].Dispose();
        HttpResponseMessage? reopened = null;
        await Channel.EventuallyAsync(async () =>
        {
            var attempt = await agent.Http.GetAsync(Stream, HttpCompletionOption.ResponseHeadersRead);
            if (attempt.StatusCode == HttpStatusCode.OK)
                reopened = attempt;
            else
                attempt.Dispose();
            return attempt.StatusCode;
        }, status => status == HttpStatusCode.OK, "a closed stream frees its slot", seconds: 20);

        Assert.Equal((HttpStatusCode.TooManyRequests, "application/problem+json"), (refused.StatusCode, refused.Content.Headers.ContentType?.MediaType));
        var problem = await refused.BodyAsync();
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        Assert.Contains($"at most {EventStreamLimitsFixture.MaxStreams} open event streams", problem.Str("detail"), StringComparison.Ordinal);
        foreach (var response in open.Skip(1).Append(otherKey).Append(reopened!))
            response.Dispose();
    }
}
