using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Crm.Providers;

namespace Crm.Api.Tests.Channels;

/// <summary>A tenant's widget limits through the real API: new visitors per site, messages per visitor, allowed Origins.</summary>
[Collection(ChannelCollection.Name)]
public sealed class WidgetLimitTests(ChannelApiFixture fixture)
{
    private sealed record Site(Tenant Tenant, string Key);

    private async Task<Site> SiteAsync(Action<WidgetSettings> limits)
    {
        var tenant = await fixture.CreateTenantAsync(id =>
        {
            var widget = new WidgetSettings { SiteKey = "pk_" + id, TokenSecret = "token-secret-" + id };
            limits(widget);
            return new TenantChannels { Widget = widget };
        });
        return new Site(tenant, "pk_" + tenant.Id);
    }

    private HttpClient From(string? origin)
    {
        var http = fixture.Anonymous();
        if (origin is not null)
            http.DefaultRequestHeaders.Add("Origin", origin);
        return http;
    }

    private async Task<HttpResponseMessage> StartAsync(Site site, string? origin = null, string? previousToken = null)
    {
        using var http = From(origin);
        return await http.PostAsJsonAsync("/api/v1/widget/sessions", new { siteKey = site.Key, visitorToken = previousToken });
    }

    private async Task<HttpClient> VisitorAsync(Site site, string? origin = null)
    {
        var response = await StartAsync(site, origin);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var http = From(origin);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await response.BodyAsync()).Str("token"));
        return http;
    }

    private static Task<HttpResponseMessage> WriteAsync(HttpClient visitor, string text) =>
        visitor.PostAsJsonAsync("/api/v1/widget/messages", new { text });

    private static async Task<IReadOnlyList<string>> TextsUntilAsync(HttpClient visitor, int count) =>
        [.. (await Channel.EventuallyAsync(async () => (await visitor.GetOkAsync("/api/v1/widget/messages")).Items(), m => m.Count >= count, $"{count} messages"))
            .Select(m => m.Str("text"))];

    private static async Task AssertRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string limit)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.BodyAsync();
        Assert.Equal(((int)status, limit), (problem.GetProperty("status").GetInt32(), problem.Str("limit")));
        if (status == HttpStatusCode.TooManyRequests)
            Assert.InRange(response.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 1, limit.EndsWith("PerDay", StringComparison.Ordinal) ? 86_400 : 60);
    }

    [Fact]
    public async Task NewVisitorsOverTheSitesMinuteAreRefusedAndMakeNoClient()
    {
        var site = await SiteAsync(w => w.NewVisitorsPerMinute = 2);
        var first = await VisitorAsync(site);
        var second = await VisitorAsync(site);

        var refused = await StartAsync(site);

        await AssertRefusedAsync(refused, HttpStatusCode.TooManyRequests, nameof(WidgetSettings.NewVisitorsPerMinute));
        Assert.Equal(HttpStatusCode.Accepted, (await WriteAsync(first, "one")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await WriteAsync(second, "two")).StatusCode);
        await TextsUntilAsync(first, 1);
        await TextsUntilAsync(second, 1);
        Assert.Equal(2, (await site.Tenant.Admin.AllClientsAsync()).Count);
    }

    [Fact]
    public async Task AReturningVisitorIsNotANewOneAndPassesAFullMinute()
    {
        var site = await SiteAsync(w => w.NewVisitorsPerMinute = 1);
        var session = await (await StartAsync(site)).BodyAsync();
        await AssertRefusedAsync(await StartAsync(site), HttpStatusCode.TooManyRequests, nameof(WidgetSettings.NewVisitorsPerMinute));

        var renewed = await StartAsync(site, previousToken: session.Str("token"));

        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        Assert.Equal(session.Str("visitorId"), (await renewed.BodyAsync()).Str("visitorId"));
    }

    [Fact]
    public async Task NewVisitorsOverTheSitesDayAreRefused()
    {
        var site = await SiteAsync(w => (w.NewVisitorsPerMinute, w.NewVisitorsPerDay) = (10, 1));
        await VisitorAsync(site);

        await AssertRefusedAsync(await StartAsync(site), HttpStatusCode.TooManyRequests, nameof(WidgetSettings.NewVisitorsPerDay));
    }

    [Fact]
    public async Task AVisitorsMessagesOverTheMinuteAreRefusedAndNotStoredWhileAnotherVisitorWrites()
    {
        var site = await SiteAsync(w => w.MessagesPerVisitorPerMinute = 2);
        var chatty = await VisitorAsync(site);
        var other = await VisitorAsync(site);
        Assert.Equal(HttpStatusCode.Accepted, (await WriteAsync(chatty, "first")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await WriteAsync(chatty, "second")).StatusCode);

        var refused = await WriteAsync(chatty, "third");
        var otherWrites = await WriteAsync(other, "hello");

        await AssertRefusedAsync(refused, HttpStatusCode.TooManyRequests, nameof(WidgetSettings.MessagesPerVisitorPerMinute));
        Assert.Equal(HttpStatusCode.Accepted, otherWrites.StatusCode);
        Assert.Equal(["hello"], await TextsUntilAsync(other, 1));
        Assert.Equal(["first", "second"], await TextsUntilAsync(chatty, 2));
    }

    [Fact]
    public async Task WithAnOriginListOnlyItsOriginsStartSessionsAndSendMessages()
    {
        var site = await SiteAsync(w => w.AllowedOrigins = ["https://shop.example/"]);
        var visitor = await VisitorAsync(site, "https://shop.example");
        using var elsewhere = From("https://evil.example");
        elsewhere.DefaultRequestHeaders.Authorization = visitor.DefaultRequestHeaders.Authorization;

        await AssertRefusedAsync(await StartAsync(site, "https://evil.example"), HttpStatusCode.Forbidden, nameof(WidgetSettings.AllowedOrigins));
        await AssertRefusedAsync(await StartAsync(site), HttpStatusCode.Forbidden, nameof(WidgetSettings.AllowedOrigins));
        await AssertRefusedAsync(await WriteAsync(elsewhere, "from elsewhere"), HttpStatusCode.Forbidden, nameof(WidgetSettings.AllowedOrigins));
        Assert.Equal(HttpStatusCode.Accepted, (await WriteAsync(visitor, "from the shop")).StatusCode);
        Assert.Equal(["from the shop"], await TextsUntilAsync(visitor, 1));
    }

    [Fact]
    public async Task WithoutAnOriginListAnyOriginIsServed()
    {
        var site = await SiteAsync(_ => { });
        var visitor = await VisitorAsync(site, "https://anywhere.example");

        Assert.Equal(HttpStatusCode.Accepted, (await WriteAsync(visitor, "hi")).StatusCode);
    }
}
