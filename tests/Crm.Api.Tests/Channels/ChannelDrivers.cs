using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Crm.Providers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Crm.Api.Tests;

/// <summary>Plays Twilio's side of the webhooks: form posts signed with the tenant's auth token over our public URL.</summary>
public sealed class TwilioDriver(CrmApiFactory factory, string tenantId, string authToken)
{
    private readonly HttpClient http = factory.CreateClient();
    private readonly string publicBaseUrl = factory.Services.GetRequiredService<IOptionsMonitor<ChannelOptions>>().CurrentValue.PublicBaseUrl;

    public Task<HttpResponseMessage> MessageAsync(Dictionary<string, string> form, string? signature = null, bool sign = true) =>
        PostAsync($"/webhooks/twilio/{tenantId}", form, signature, sign);

    /// <summary>A status callback to the URL our adapter gave Twilio for the message.</summary>
    public Task<HttpResponseMessage> StatusAsync(string messageId, Dictionary<string, string> form) =>
        PostAsync($"/webhooks/twilio/{tenantId}/status?messageId={Uri.EscapeDataString(messageId)}", form, null, true);

    private async Task<HttpResponseMessage> PostAsync(string pathAndQuery, Dictionary<string, string> form, string? signature, bool sign)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, pathAndQuery) { Content = new FormUrlEncodedContent(form) };
        if (sign)
            request.Headers.Add(TwilioSignature.Header, signature ?? TwilioSignature.Compute(publicBaseUrl + pathAndQuery, form.ToDictionary(f => f.Key, f => new StringValues(f.Value)), authToken));
        return await http.SendAsync(request);
    }
}

/// <summary>Plays Telegram's side of the webhook: updates posted as JSON with the secret-token header.</summary>
public sealed class TelegramDriver(CrmApiFactory factory, string tenantId, string? secret)
{
    private readonly HttpClient http = factory.CreateClient();

    public async Task<HttpResponseMessage> UpdateAsync(string updateJson, string? secretOverride = null, bool withSecret = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/telegram/{tenantId}") { Content = new StringContent(updateJson, Encoding.UTF8, "application/json") };
        if (withSecret)
            request.Headers.Add(TelegramSecret.Header, secretOverride ?? secret);
        return await http.SendAsync(request);
    }
}

public static class Channel
{
    /// <summary>Inbound messages travel through a stream and deliveries through an outbox: both finish a little after the HTTP answer.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what, int seconds = 30)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await read();
            if (done(value))
                return value;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"Not within {seconds} s: {what}. Last seen: {JsonSerializer.Serialize(value)}");
            await Task.Delay(100);
        }
    }

    /// <summary>The one client of a fresh tenant, once the inbound stream created it.</summary>
    public static async Task<JsonElement> OnlyClientAsync(Tenant tenant) =>
        (await EventuallyAsync(() => tenant.Admin.AllClientsAsync(), c => c.Count > 0, "a client created by the inbound message")).Single();

    /// <summary>The chat's messages once the condition holds for them.</summary>
    public static Task<IReadOnlyList<JsonElement>> MessagesWhenAsync(Tenant tenant, string chatId, Func<IReadOnlyList<JsonElement>, bool> done, string what) =>
        EventuallyAsync(() => tenant.Admin.MessagesAsync(chatId), done, what);

    public static Task<JsonElement> MessageWhenAsync(Tenant tenant, string chatId, string messageId, Func<JsonElement, bool> done, string what) =>
        EventuallyAsync(async () => (await tenant.Admin.MessagesAsync(chatId)).Single(m => m.Str("id") == messageId), done, what);

    public static async Task<HttpResponseMessage> SendAsync(Tenant tenant, string chatId, string text, string transport) =>
        await tenant.Admin.PostAsJsonAsync($"/api/v1/chats/{chatId}/messages", new { text, transport });
}
