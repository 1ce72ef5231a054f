using System.Net;
using System.Net.Http.Json;
using Crm.Providers;
using Crm.Testing;
using Microsoft.Extensions.Primitives;
using Npgsql;

namespace Crm.Api.Tests;

/// <summary>
/// The process is killed with SIGKILL right after acknowledging: nothing acknowledged may be lost
/// or stored twice, and nothing queued may be sent twice. The restart joins as a new cluster
/// (same service, same data): a killed silo's membership row would otherwise keep a new silo
/// waiting until it is voted dead.
/// </summary>
public sealed class CrashSafetyTests
{
    private const string AuthToken = "crash-test-auth-token";

    private static Dictionary<string, string> TwilioEnvironment(string tenantId, FakeTwilio fake) => new()
    {
        [$"Crm__Channels__Tenants__{tenantId}__Twilio__AccountSid"] = TwilioForms.AccountSid,
        [$"Crm__Channels__Tenants__{tenantId}__Twilio__AuthToken"] = AuthToken,
        [$"Crm__Channels__Tenants__{tenantId}__Twilio__SmsFrom"] = "+15005550006",
        [$"Crm__Channels__Tenants__{tenantId}__Twilio__BaseUrl"] = fake.BaseUrl.ToString().TrimEnd('/'),
    };

    private static async Task<(string TenantId, string Key)> CreateTenantAsync(string connectionString)
    {
        await using var setup = await CrmProcess.StartAsync(connectionString, NewClusterId(), new Dictionary<string, string>());
        var created = await (await setup.Client(CrmApiFactory.SystemKey).PostAsJsonAsync("/api/v1/tenants", new { name = "Crash" })).BodyAsync();
        return (created.Str("tenantId"), created.Str("apiKey"));
    }

    private static string NewClusterId() => "crash-" + Guid.NewGuid().ToString("N")[..8];

    private static async Task<long> ScalarAsync(string connectionString, string sql, string tenantId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue(tenantId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task EveryAcknowledgedWebhookIsStoredExactlyOnceAfterAKill()
    {
        var db = await PostgresServer.CreateDatabaseAsync();
        await using var fake = await FakeTwilio.StartAsync();
        var (tenantId, _) = await CreateTenantAsync(db);
        var crm = await CrmProcess.StartAsync(db, NewClusterId(), TwilioEnvironment(tenantId, fake));
        using var http = crm.Client();
        var path = $"/webhooks/twilio/{tenantId}";

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            var form = TwilioForms.Sms($"+1415555{i:D4}", $"order question {i}");
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Add(TwilioSignature.Header,
                TwilioSignature.Compute(crm.BaseUrl + path, form.ToDictionary(f => f.Key, f => new StringValues(f.Value)), AuthToken));
            return (form["MessageSid"], (await http.SendAsync(request)).StatusCode);
        }));
        crm.Kill();
        var acknowledged = answers.Where(a => a.StatusCode == HttpStatusCode.OK).Select(a => a.Item1).ToHashSet();
        await using var restarted = await CrmProcess.StartAsync(db, NewClusterId(), TwilioEnvironment(tenantId, fake));
        await Channel.EventuallyAsync(
            () => ScalarAsync(db, "select count(distinct provider_message_id) from messages where tenant_id = $1", tenantId),
            stored => stored >= acknowledged.Count, "every acknowledged message is stored", seconds: 240);
        await Task.Delay(2000);

        Assert.NotEmpty(acknowledged);
        Assert.Equal(acknowledged.Count, await ScalarAsync(db, "select count(*) from messages where tenant_id = $1", tenantId));
        Assert.Equal(acknowledged.Count, await ScalarAsync(db, "select count(*) from clients_index where tenant_id = $1", tenantId));
    }

    [Fact]
    public async Task QueuedMessagesAreDeliveredOnceAfterAKill()
    {
        var db = await PostgresServer.CreateDatabaseAsync();
        await using var fake = await FakeTwilio.StartAsync();
        var (tenantId, key) = await CreateTenantAsync(db);
        for (var i = 0; i < 5; i++)
            fake.FailNext(503, 20500, "Service unavailable");
        var crm = await CrmProcess.StartAsync(db, NewClusterId(), TwilioEnvironment(tenantId, fake));
        using var http = crm.Client(key);
        var queued = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var client = await (await http.PostAsJsonAsync("/api/v1/clients", new { firstName = $"Queued{i}", contacts = new[] { new { type = "phone", value = $"+1415555{7000 + i}" } } })).BodyAsync();
            var chat = await (await http.GetAsync($"/api/v1/clients/{client.Str("id")}/chat")).Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
            var sent = await http.PostAsJsonAsync($"/api/v1/chats/{chat.Str("id")}/messages", new { text = $"your order {i} shipped" });
            Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
            queued.Add((await sent.BodyAsync()).Str("id"));
        }

        await Channel.EventuallyAsync(() => Task.FromResult(fake.Sends.Count), n => n >= 5, "every first attempt failed");
        crm.Kill();
        await using var restarted = await CrmProcess.StartAsync(db, NewClusterId(), TwilioEnvironment(tenantId, fake));
        await Channel.EventuallyAsync(() => Task.FromResult(fake.Accepted.Count), n => n >= queued.Count, "every queued message reaches the provider", seconds: 150);
        await Task.Delay(2000);

        var delivered = fake.Accepted.Select(s => s.Form["Body"]).ToList();
        Assert.Equal(queued.Count, delivered.Count);
        Assert.Equal(delivered.Count, delivered.Distinct().Count());
        Assert.Equal(queued.Count, await ScalarAsync(db, "select count(*) from messages where tenant_id = $1 and status = 'sending'", tenantId));
    }
}
