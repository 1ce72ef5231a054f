using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Crm.Api.Tests;

/// <summary>The calls tests make again and again, each asserting the status a working API answers.</summary>
public static class Api
{
    public static async Task<JsonElement> CreateClientAsync(this HttpClient http, object body)
    {
        var response = await http.PostAsJsonAsync("/api/v1/clients", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.BodyAsync();
    }

    public static async Task<string> CreateClientIdAsync(this HttpClient http, string firstName = "Ann", string? phone = "+14155550123") =>
        (await http.CreateClientAsync(phone is null
            ? new { firstName }
            : new { firstName, contacts = new[] { new { type = "phone", value = phone } } })).Str("id");

    public static async Task<JsonElement> GetOkAsync(this HttpClient http, string url)
    {
        var response = await http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.BodyAsync();
    }

    /// <summary>The raw JSON of a resource, for "nothing changed" comparisons.</summary>
    public static async Task<string> RawAsync(this HttpClient http, string url)
    {
        var response = await http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    public static Task<HttpResponseMessage> PatchJsonAsync(this HttpClient http, string url, string json) =>
        http.PatchAsync(url, new StringContent(json, Encoding.UTF8, "application/merge-patch+json"));

    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient http, string url, string json) =>
        http.PostAsync(url, new StringContent(json, Encoding.UTF8, "application/json"));

    public static async Task<JsonElement> OpenChatAsync(this HttpClient http, string clientId) =>
        await http.GetOkAsync($"/api/v1/clients/{clientId}/chat");

    public static async Task<string> ChatIdAsync(this HttpClient http, string clientId) => (await http.OpenChatAsync(clientId)).Str("id");

    public static async Task<HttpResponseMessage> SendAsync(this HttpClient http, string chatId, object body, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/chats/{chatId}/messages") { Content = JsonContent.Create(body) };
        if (idempotencyKey is not null)
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await http.SendAsync(request);
    }

    public static async Task<JsonElement> SendOkAsync(this HttpClient http, string chatId, string text, string? idempotencyKey = null)
    {
        var response = await http.SendAsync(chatId, new { text }, idempotencyKey);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await response.BodyAsync();
    }

    public static async Task<IReadOnlyList<JsonElement>> MessagesAsync(this HttpClient http, string chatId) =>
        (await http.GetOkAsync($"/api/v1/chats/{chatId}/messages?limit=200")).Items();

    /// <summary>Every live client of the caller's tenant, all pages.</summary>
    public static async Task<IReadOnlyList<JsonElement>> AllClientsAsync(this HttpClient http, string? query = null) =>
        await http.WalkAsync($"/api/v1/clients?limit=200{(query is null ? "" : "&query=" + Uri.EscapeDataString(query))}");

    /// <summary>Follows <c>nextCursor</c> from the first page to the last and returns the items in order.</summary>
    public static async Task<IReadOnlyList<JsonElement>> WalkAsync(this HttpClient http, string url, int maxPages = 50)
    {
        var items = new List<JsonElement>();
        string? cursor = null;
        for (var page = 0; page < maxPages; page++)
        {
            var body = await http.GetOkAsync(cursor is null ? url : $"{url}&cursor={Uri.EscapeDataString(cursor)}");
            items.AddRange(body.Items());
            if (body.GetProperty("nextCursor").ValueKind == JsonValueKind.Null)
                return items;
            cursor = body.Str("nextCursor");
        }
        throw new InvalidOperationException($"{url} did not end within {maxPages} pages.");
    }

    public static IReadOnlyList<JsonElement> Items(this JsonElement page) => [.. page.GetProperty("items").EnumerateArray()];

    public static IReadOnlyList<string> IdsOf(this IEnumerable<JsonElement> items) => [.. items.Select(i => i.Str("id"))];

    /// <summary>Asserts a 400 ProblemDetails whose <c>errors</c> name every one of the fields, each with a message.</summary>
    public static async Task AssertInvalidAsync(this HttpResponseMessage response, params string[] fields)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.BodyAsync()).GetProperty("errors");
        foreach (var field in fields)
        {
            Assert.True(errors.TryGetProperty(field, out var messages), $"errors has no '{field}': {errors}");
            Assert.Contains(messages.EnumerateArray(), m => !string.IsNullOrWhiteSpace(m.GetString()));
        }
    }

    public static async Task AssertProblemAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)status, (await response.BodyAsync()).GetProperty("status").GetInt32());
    }

    /// <summary>A new user of the tenant with the role, and an HTTP client holding its key.</summary>
    public static async Task<User> CreateUserAsync(this CrmApiFactory factory, Tenant tenant, string role, string name = "Sam")
    {
        var response = await tenant.Admin.PostAsJsonAsync("/api/v1/users", new { name, role });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.BodyAsync();
        return new User(body.Str("id"), body.Str("apiKey"), factory.ClientWithKey(body.Str("apiKey")));
    }
}

public sealed record User(string Id, string Key, HttpClient Http);
