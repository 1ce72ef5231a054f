using System.Net;
using System.Net.Http.Json;
using Crm.Providers;
using Crm.Testing;
using Microsoft.Extensions.Primitives;
using Npgsql;

namespace Crm.Api.Tests;

/// <summary>
/// What the tests that run Crm as real processes (crash, failover) share: a tenant with Twilio on the fake,
/// signed SMS webhooks, and SQL read straight from the database the processes use.
/// </summary>
public static class ProcessScenario
{
    public const string TwilioAuthToken = "process-test-auth-token";

    /// <summary>The environment that gives <paramref name="tenantId"/> a Twilio account on <paramref name="fake"/>.</summary>
    public static Dictionary<string, string> TwilioEnvironment(string tenantId, FakeTwilio fake) => new()
    {
        [$"Crm__Channels__Tenants__{tenantId}__Twilio__AccountSid"] = TwilioForms.AccountSid,
        [$"Crm__Channels__Tenants__{tenantId}__Twilio__AuthToken"] = TwilioAuthToken,
        [$"Crm__Channels__Tenants__{tenantId}__Twilio__SmsFrom"] = "+15005550006",
        [$"Crm__Channels__Tenants__{tenantId}__Twilio__BaseUrl"] = fake.BaseUrl.ToString().TrimEnd('/'),
    };

    /// <summary>A tenant made by a short-lived process of its own cluster, so that the processes under test start with its channel settings.</summary>
    public static async Task<(string TenantId, string Key)> CreateTenantAsync(string connectionString, string name)
    {
        await using var setup = await CrmProcess.StartAsync(connectionString, NewClusterId("setup"), new Dictionary<string, string>());
        var created = await (await setup.Client(CrmApiFactory.SystemKey).PostAsJsonAsync("/api/v1/tenants", new { name })).BodyAsync();
        return (created.Str("tenantId"), created.Str("apiKey"));
    }

    public static string NewClusterId(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>A Twilio SMS webhook signed as Twilio would sign it; the message's SID and the answer's status.</summary>
    public static async Task<(string Sid, HttpStatusCode Status)> PostSmsAsync(CrmProcess crm, HttpClient http, string tenantId, string from, string text)
    {
        var path = $"/webhooks/twilio/{tenantId}";
        var form = TwilioForms.Sms(from, text);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add(TwilioSignature.Header,
            TwilioSignature.Compute(crm.BaseUrl + path, form.ToDictionary(f => f.Key, f => new StringValues(f.Value)), TwilioAuthToken));
        return (form["MessageSid"], (await http.SendAsync(request)).StatusCode);
    }

    /// <summary>As <see cref="PostSmsAsync"/>, with an answer that never came as 408.</summary>
    public static async Task<(string Sid, HttpStatusCode Status)> TryPostSmsAsync(CrmProcess crm, HttpClient http, string tenantId, string from, string text)
    {
        try
        {
            return await PostSmsAsync(crm, http, tenantId, from, text);
        }
        catch (TaskCanceledException)
        {
            return ("", HttpStatusCode.RequestTimeout);
        }
    }

    /// <summary>An agent's send to a chat; an answer that never came is 408.</summary>
    public static async Task<HttpStatusCode> TrySendAsync(HttpClient http, string chatId, string text)
    {
        try
        {
            return (await http.PostAsJsonAsync($"/api/v1/chats/{chatId}/messages", new { text })).StatusCode;
        }
        catch (TaskCanceledException)
        {
            return HttpStatusCode.RequestTimeout;
        }
    }

    /// <summary>The first column of the first row, as a number (counts).</summary>
    public static Task<long> ScalarAsync(string connectionString, string sql, params object[] arguments) =>
        RunAsync(connectionString, sql, arguments, async command =>
            Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The first column of every row, as text.</summary>
    public static Task<List<string>> TextsAsync(string connectionString, string sql, params object[] arguments) =>
        RunAsync(connectionString, sql, arguments, async command =>
        {
            var texts = new List<string>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                texts.Add(reader.GetString(0));
            return texts;
        });

    public static Task<int> ExecuteAsync(string connectionString, string sql, params object[] arguments) =>
        RunAsync(connectionString, sql, arguments, command => command.ExecuteNonQueryAsync());

    /// <summary>Runs <paramref name="sql"/> on a connection of its own, arguments bound to $1, $2...</summary>
    private static async Task<T> RunAsync<T>(string connectionString, string sql, object[] arguments, Func<NpgsqlCommand, Task<T>> run)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var argument in arguments)
            command.Parameters.Add(new NpgsqlParameter { Value = argument });
        return await run(command);
    }
}
