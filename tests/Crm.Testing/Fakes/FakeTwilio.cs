using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Crm.Testing;

/// <summary>One Messages.json create request as the fake received it.</summary>
public sealed record TwilioSendRequest(string AccountSid, string? BasicUser, string? BasicPassword, IReadOnlyDictionary<string, string> Form, string Sid);

/// <summary>
/// Twilio's Messages API on loopback: <c>POST /2010-04-01/Accounts/{sid}/Messages.json</c> with Basic auth and a form
/// body, answered with a queued message resource, or with the errors a test scripts (Twilio's JSON error shape).
/// </summary>
public sealed class FakeTwilio : IAsyncDisposable
{
    private readonly ConcurrentQueue<(int Status, int Code, string Message)> failures = new();
    private readonly ConcurrentQueue<TwilioSendRequest> sends = new();
    private FakeHost host = null!;

    public Uri BaseUrl => host.BaseUrl;

    /// <summary>Every create request, accepted or failed, in arrival order.</summary>
    public IReadOnlyList<TwilioSendRequest> Sends => [.. sends];

    /// <summary>Only the requests the fake accepted (answered 201).</summary>
    public IReadOnlyList<TwilioSendRequest> Accepted => [.. sends.Where(s => s.Sid.Length > 0)];

    public static async Task<FakeTwilio> StartAsync()
    {
        var fake = new FakeTwilio();
        fake.host = await FakeHost.StartAsync(app => app.MapPost("/2010-04-01/Accounts/{accountSid}/Messages.json", fake.CreateAsync));
        return fake;
    }

    /// <summary>The next create request gets this error instead of success (several calls queue several errors).</summary>
    public void FailNext(int httpStatus, int code, string message = "scripted failure") => failures.Enqueue((httpStatus, code, message));

    private async Task<IResult> CreateAsync(string accountSid, HttpRequest request)
    {
        var form = (await request.ReadFormAsync()).ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        var (user, password) = Basic(request.Headers.Authorization.ToString());
        if (failures.TryDequeue(out var failure))
        {
            sends.Enqueue(new TwilioSendRequest(accountSid, user, password, form, ""));
            return Results.Json(new { code = failure.Code, message = failure.Message, more_info = $"https://www.twilio.com/docs/errors/{failure.Code}", status = failure.Status }, statusCode: failure.Status);
        }
        var sid = "SM" + Guid.NewGuid().ToString("N");
        sends.Enqueue(new TwilioSendRequest(accountSid, user, password, form, sid));
        var now = DateTimeOffset.UtcNow.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture);
        return Results.Json(new Dictionary<string, object?>
        {
            ["sid"] = sid,
            ["account_sid"] = accountSid,
            ["to"] = form.GetValueOrDefault("To"),
            ["from"] = form.GetValueOrDefault("From"),
            ["messaging_service_sid"] = form.GetValueOrDefault("MessagingServiceSid"),
            ["body"] = form.GetValueOrDefault("Body"),
            ["status"] = "queued",
            ["num_segments"] = "1",
            ["num_media"] = "0",
            ["direction"] = "outbound-api",
            ["api_version"] = "2010-04-01",
            ["price"] = null,
            ["price_unit"] = "USD",
            ["error_code"] = null,
            ["error_message"] = null,
            ["date_created"] = now,
            ["date_updated"] = now,
            ["date_sent"] = null,
            ["uri"] = $"/2010-04-01/Accounts/{accountSid}/Messages/{sid}.json",
            ["subresource_uris"] = new Dictionary<string, string> { ["media"] = $"/2010-04-01/Accounts/{accountSid}/Messages/{sid}/Media.json" },
        }, new JsonSerializerOptions(), statusCode: StatusCodes.Status201Created);
    }

    private static (string? User, string? Password) Basic(string header)
    {
        if (!header.StartsWith("Basic ", StringComparison.Ordinal))
            return (null, null);
        var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..]));
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (decoded, null) : (decoded[..colon], decoded[(colon + 1)..]);
    }

    public async ValueTask DisposeAsync() => await host.DisposeAsync();
}
