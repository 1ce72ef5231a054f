using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Crm.Api.Tests;

[Collection(ApiCollection.Name)]
public sealed class EventStreamTests(ApiFixture fixture)
{
    private CrmApiFactory Factory => fixture.Factory;

    /// <summary>Reads server-sent events until one satisfies the condition; returns every event read.</summary>
    private static async Task<List<(string Id, string Type, JsonElement Data)>> ReadUntilAsync(
        StreamReader reader, Func<string, JsonElement, bool> done, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var events = new List<(string, string, JsonElement)>();
        string? id = null, type = null;
        while (await reader.ReadLineAsync(cancel.Token) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal))
                id = line[4..];
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
                type = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                var data = JsonDocument.Parse(line[6..]).RootElement;
                events.Add((id!, type!, data));
                if (done(type!, data))
                    return events;
            }
        }
        return events;
    }

    [Fact]
    public async Task AnAgentSeesTheTenantsMessagesLiveAndNoOtherTenants()
    {
        var tenant = await Factory.CreateTenantAsync();
        var other = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        var otherChatId = await other.Admin.ChatIdAsync(await other.Admin.CreateClientIdAsync(phone: "+14155550188"));
        using var response = await tenant.Admin.GetAsync("/api/v1/events/stream", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await reader.ReadLineAsync();

        await other.Admin.SendOkAsync(otherChatId, "not yours");
        await tenant.Admin.SendOkAsync(chatId, "live update");
        var events = await ReadUntilAsync(reader, (type, data) => type == "message.queued", TimeSpan.FromSeconds(20));

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var queued = Assert.Single(events, e => e.Type == "message.queued");
        Assert.Equal(("live update", chatId), (queued.Data.GetProperty("message").Str("text"), queued.Data.Str("chatId")));
        Assert.All(events, e => Assert.Equal(tenant.Id, e.Data.Str("tenantId")));
        Assert.False(string.IsNullOrEmpty(queued.Id));
    }

    [Fact]
    public async Task TheStreamNeedsAKey()
    {
        var anonymous = Factory.ClientWithKey(null);

        var response = await anonymous.GetAsync("/api/v1/events/stream");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task AFailedSendShowsItsReasonAndCanBeRetried()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());
        var sent = await tenant.Admin.SendOkAsync(chatId, "no provider yet");
        var seq = sent.GetProperty("seq").GetInt64();

        await Channel.EventuallyAsync(() => tenant.Admin.MessagesAsync(chatId), m => m[0].Str("status") == "failed", "the send fails");
        var failed = (await tenant.Admin.MessagesAsync(chatId))[0];
        var retry = await tenant.Admin.PostAsync($"/api/v1/chats/{chatId}/messages/{seq}/retry", null);

        Assert.Equal("channel_not_configured", failed.Str("errorCode"));
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal("queued", (await retry.BodyAsync()).Str("status"));
    }

    [Fact]
    public async Task APhoneCallIsLoggedOnTheChatAndNothingIsSent()
    {
        var tenant = await Factory.CreateTenantAsync();
        var chatId = await tenant.Admin.ChatIdAsync(await tenant.Admin.CreateClientIdAsync());

        var logged = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/log", new { transport = "phone", direction = "inbound", text = "Client called about delivery" });
        var refused = await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/log", new { transport = "sms", text = "x" });

        Assert.Equal(HttpStatusCode.Created, logged.StatusCode);
        var message = Assert.Single(await tenant.Admin.MessagesAsync(chatId));
        Assert.Equal(("phone", "inbound", "received"), (message.Str("transport"), message.Str("direction"), message.Str("status")));
        await refused.AssertInvalidAsync("transport");
    }
}
