using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Crm.Testing;

/// <summary>One send the fake Graph API received.</summary>
public sealed record GraphRequest(string Path, string? Authorization, JsonElement Body, int AnsweredStatus, string? MessageId);

/// <summary>
/// The Graph API's send endpoint (<c>POST /{version}/{id}/messages</c>) on a loopback port. It answers like Meta: a
/// WhatsApp send gets <c>messages[0].id</c> (a wamid), an Instagram send <c>message_id</c>; answers queued with
/// <see cref="Answer"/> (429, 5xx, Graph errors) are served first, one per request.
/// </summary>
public sealed class FakeGraphApi : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentQueue<GraphRequest> requests = new();
    private readonly ConcurrentQueue<(int Status, string Json, int? RetryAfterSeconds)> answers = new();

    private FakeGraphApi()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        app = builder.Build();
        app.MapPost("/{version}/{id}/messages", (Delegate)ReceiveAsync);
    }

    public string BaseUrl { get; private set; } = "";

    public IReadOnlyList<GraphRequest> Requests => [.. requests];

    public static async Task<FakeGraphApi> StartAsync()
    {
        var fake = new FakeGraphApi();
        await fake.app.StartAsync();
        fake.BaseUrl = fake.app.Urls.Single();
        return fake;
    }

    /// <summary>Queues the answer to the next request instead of a success.</summary>
    public void Answer(int status, string json = "{}", int? retryAfterSeconds = null) => answers.Enqueue((status, json, retryAfterSeconds));

    /// <summary>A Graph error body as Meta writes it.</summary>
    public void AnswerError(int status, long code, string message, int? retryAfterSeconds = null) =>
        Answer(status, JsonSerializer.Serialize(new { error = new { message, type = "OAuthException", code, fbtrace_id = "AbCdEf" } }), retryAfterSeconds);

    /// <summary>Waits until at least <paramref name="count"/> requests arrived.</summary>
    public async Task<IReadOnlyList<GraphRequest>> WaitForRequestsAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (requests.Count < count && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        return Requests;
    }

    private async Task<IResult> ReceiveAsync(HttpContext context)
    {
        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        var json = body.RootElement.Clone();
        var authorization = context.Request.Headers.Authorization.ToString();
        if (answers.TryDequeue(out var scripted))
        {
            requests.Enqueue(new GraphRequest(context.Request.Path, authorization, json, scripted.Status, null));
            if (scripted.RetryAfterSeconds is { } seconds)
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Content(scripted.Json, "application/json", statusCode: scripted.Status);
        }

        var whatsApp = json.TryGetProperty("messaging_product", out var product) && product.GetString() == "whatsapp";
        var id = whatsApp ? "wamid.HBgL" + Guid.NewGuid().ToString("N") : "aWdfZAG1" + Guid.NewGuid().ToString("N");
        requests.Enqueue(new GraphRequest(context.Request.Path, authorization, json, (int)HttpStatusCode.OK, id));
        return whatsApp
            ? Results.Json(new Dictionary<string, object>
            {
                ["messaging_product"] = "whatsapp",
                ["contacts"] = new[] { new Dictionary<string, string> { ["input"] = json.GetProperty("to").GetString()!, ["wa_id"] = json.GetProperty("to").GetString()! } },
                ["messages"] = new[] { new Dictionary<string, string> { ["id"] = id } },
            })
            : Results.Json(new Dictionary<string, string> { ["recipient_id"] = json.GetProperty("recipient").GetProperty("id").GetString()!, ["message_id"] = id });
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
