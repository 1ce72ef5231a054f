using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Crm.Testing;

/// <summary>One Bot API call as the fake received it.</summary>
public sealed record TelegramCall(string Token, string Method, JsonElement Body);

/// <summary>
/// The Telegram Bot API on loopback: <c>POST /bot{token}/{method}</c> with JSON bodies, answering
/// <c>{"ok":true,"result":...}</c> or the scripted <c>{"ok":false,"error_code":N,...}</c>. <c>getUpdates</c> serves
/// the updates a test queued from the offset asked for, and forgets those below it, as Telegram does.
/// </summary>
public sealed class FakeTelegram : IAsyncDisposable
{
    private readonly ConcurrentQueue<TelegramCall> calls = new();
    private readonly ConcurrentQueue<(int Code, string Description, int? RetryAfter)> failures = new();
    private readonly List<JsonObject> updates = [];
    private readonly Lock gate = new();
    private int nextMessageId = 100;
    private FakeHost host = null!;

    public Uri BaseUrl => host.BaseUrl;

    public IReadOnlyList<TelegramCall> Calls => [.. calls];

    public IReadOnlyList<TelegramCall> CallsOf(string method) => [.. calls.Where(c => c.Method == method)];

    public static async Task<FakeTelegram> StartAsync()
    {
        var fake = new FakeTelegram();
        fake.host = await FakeHost.StartAsync(app => app.MapPost("/{bot}/{method}", fake.HandleAsync));
        return fake;
    }

    /// <summary>The next sending call (not getUpdates) fails with this Bot API error.</summary>
    public void FailNext(int errorCode, string description, int? retryAfter = null) => failures.Enqueue((errorCode, description, retryAfter));

    /// <summary>An update for getUpdates to serve, e.g. one made by <see cref="TelegramUpdates"/>.</summary>
    public void Enqueue(string updateJson)
    {
        lock (gate)
            updates.Add(JsonNode.Parse(updateJson)!.AsObject());
    }

    private async Task<IResult> HandleAsync(string bot, string method, HttpRequest request)
    {
        if (!bot.StartsWith("bot", StringComparison.Ordinal))
            return Results.NotFound();
        var body = request.HasJsonContentType()
            ? await JsonSerializer.DeserializeAsync<JsonElement>(request.Body)
            : JsonSerializer.SerializeToElement((await request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString()));
        calls.Enqueue(new TelegramCall(bot["bot".Length..], method, body));
        if (method == "getUpdates")
            return Ok(GetUpdates(body));
        if (failures.TryDequeue(out var failure))
        {
            var error = new JsonObject { ["ok"] = false, ["error_code"] = failure.Code, ["description"] = failure.Description };
            if (failure.RetryAfter is { } seconds)
                error["parameters"] = new JsonObject { ["retry_after"] = seconds };
            return Results.Content(error.ToJsonString(), "application/json", statusCode: failure.Code);
        }
        return method == "sendMessage" ? Ok(SentMessage(body)) : Ok(new JsonObject());
    }

    private JsonArray GetUpdates(JsonElement body)
    {
        var offset = body.TryGetProperty("offset", out var o) && o.ValueKind == JsonValueKind.Number ? o.GetInt64() : 0;
        lock (gate)
        {
            updates.RemoveAll(u => (long)u["update_id"]! < offset);
            return [.. updates.Select(u => u.DeepClone())];
        }
    }

    private JsonObject SentMessage(JsonElement body)
    {
        var chatId = body.GetProperty("chat_id").ValueKind == JsonValueKind.Number ? body.GetProperty("chat_id").GetInt64() : long.Parse(body.GetProperty("chat_id").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["message_id"] = Interlocked.Increment(ref nextMessageId),
            ["from"] = new JsonObject { ["id"] = 7000000001L, ["is_bot"] = true, ["first_name"] = "Crm Bot", ["username"] = "crm_test_bot" },
            ["chat"] = new JsonObject { ["id"] = chatId, ["type"] = "private" },
            ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["text"] = body.GetProperty("text").GetString(),
        };
    }

    private static IResult Ok(JsonNode result) =>
        Results.Content(new JsonObject { ["ok"] = true, ["result"] = result }.ToJsonString(), "application/json");

    public async ValueTask DisposeAsync() => await host.DisposeAsync();
}
