using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Bench;

// Crm.Bench setup --url U --system-key K --clients N --state FILE
//   creates a tenant and N clients with a phone each, opens their chats, writes FILE (JSON).
// Crm.Bench run --url U --state FILE --auth-token T --twilio-port P --seconds S --out FILE
//   runs the scenarios against a running Crm.Api whose bench tenant has Twilio pointed at our fake on port P.
var command = args.FirstOrDefault() ?? "";
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 1; i + 1 < args.Length; i += 2)
    options[args[i].TrimStart('-')] = args[i + 1];
string Opt(string name) => options.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} is required");
var inv = CultureInfo.InvariantCulture;

using var http = new HttpClient(new SocketsHttpHandler
{
    MaxConnectionsPerServer = 512,
    PooledConnectionLifetime = TimeSpan.FromMinutes(10),
    AutomaticDecompression = DecompressionMethods.None,
})
{ BaseAddress = new Uri(Opt("url")), Timeout = TimeSpan.FromSeconds(60) };

switch (command)
{
    case "setup":
        await SetupAsync(int.Parse(Opt("clients"), inv), Opt("system-key"), Opt("state"));
        return 0;
    case "run":
        return await RunAsync();
    default:
        Console.Error.WriteLine("usage: Crm.Bench setup|run --url URL ...");
        return 2;
}

async Task SetupAsync(int count, string systemKey, string stateFile)
{
    using var create = new HttpRequestMessage(HttpMethod.Post, "/api/v1/tenants") { Content = JsonContent.Create(new { name = "Bench" }) };
    create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", systemKey);
    using var created = await http.SendAsync(create);
    created.EnsureSuccessStatusCode();
    var tenant = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
    var apiKey = (string)tenant["apiKey"]!;
    var tenantId = (string)tenant["tenantId"]!;

    var clients = new Client[count];
    var watch = System.Diagnostics.Stopwatch.StartNew();
    await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
    {
        var phone = Phone("415", i);
        using var post = Authed(HttpMethod.Post, "/api/v1/clients", apiKey);
        post.Content = JsonContent.Create(new { firstName = "Bench", lastName = $"Client{i}", contacts = new[] { new { type = "phone", value = phone } } });
        using var answer = await http.SendAsync(post, ct);
        if (!answer.IsSuccessStatusCode)
            throw new InvalidOperationException($"create client {i}: {(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync(ct)}");
        var id = (string)(await answer.Content.ReadFromJsonAsync<JsonObject>(ct))!["id"]!;
        using var open = Authed(HttpMethod.Get, $"/api/v1/clients/{id}/chat", apiKey);
        using var chat = await http.SendAsync(open, ct);
        if (!chat.IsSuccessStatusCode)
            throw new InvalidOperationException($"open chat {i}: {(int)chat.StatusCode} {await chat.Content.ReadAsStringAsync(ct)}");
        clients[i] = new Client(id, phone, (string)(await chat.Content.ReadFromJsonAsync<JsonObject>(ct))!["id"]!);
    });
    Console.WriteLine($"seeded tenant {tenantId}: {count} clients with chats in {watch.Elapsed.TotalSeconds:0.0} s ({count / watch.Elapsed.TotalSeconds:0} clients/s)");
    await File.WriteAllTextAsync(stateFile, JsonSerializer.Serialize(new State(tenantId, apiKey, clients, watch.Elapsed.TotalSeconds)));
}

async Task<int> RunAsync()
{
    var state = JsonSerializer.Deserialize<State>(await File.ReadAllTextAsync(Opt("state")))!;
    var authToken = Opt("auth-token");
    var publicBase = Opt("url").TrimEnd('/');
    var seconds = TimeSpan.FromSeconds(double.Parse(Opt("seconds"), inv));
    var clients = state.Clients;
    Load.Grace = TimeSpan.FromSeconds(Math.Clamp(seconds.TotalSeconds / 2, 2, 10));
    using var twilio = new FakeTwilio(int.Parse(Opt("twilio-port"), inv));
    var results = new List<ScenarioResult>();

    async Task<string?> Get(string path, CancellationToken ct)
    {
        using var request = Authed(HttpMethod.Get, path, state.ApiKey);
        using var answer = await http.SendAsync(request, ct);
        await answer.Content.LoadIntoBufferAsync(ct);
        return answer.StatusCode == HttpStatusCode.OK ? null : $"{(int)answer.StatusCode} on GET {path}";
    }

    async Task<string?> Send(long n, CancellationToken ct)
    {
        using var request = Authed(HttpMethod.Post, $"/api/v1/chats/{clients[n % clients.Length].ChatId}/messages", state.ApiKey);
        request.Content = JsonContent.Create(new { text = $"bench message {n}" });
        using var answer = await http.SendAsync(request, ct);
        await answer.Content.LoadIntoBufferAsync(ct);
        return answer.StatusCode == HttpStatusCode.Accepted ? null : $"{(int)answer.StatusCode} on send: {await answer.Content.ReadAsStringAsync(ct)}";
    }

    var webhookPath = $"/webhooks/twilio/{state.TenantId}";
    var runId = Guid.NewGuid().ToString("N")[..6];
    async Task<string?> Webhook(long n, CancellationToken ct)
    {
        var sid = $"SM{runId}{n:D26}";
        var form = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["AccountSid"] = FakeTwilio.AccountSid, ["ApiVersion"] = "2010-04-01", ["Body"] = $"inbound {n}",
            ["From"] = Phone("628", (int)n), ["MessageSid"] = sid, ["NumMedia"] = "0", ["NumSegments"] = "1",
            ["SmsMessageSid"] = sid, ["SmsSid"] = sid, ["SmsStatus"] = "received", ["To"] = FakeTwilio.SmsFrom,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, webhookPath) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", Sign(publicBase + webhookPath, form, authToken));
        using var answer = await http.SendAsync(request, ct);
        await answer.Content.LoadIntoBufferAsync(ct);
        return answer.StatusCode == HttpStatusCode.OK ? null : $"{(int)answer.StatusCode} on webhook: {await answer.Content.ReadAsStringAsync(ct)}";
    }

    Load.Request byId = (n, ct) => Get($"/api/v1/clients/{clients[(n * 7919) % clients.Length].Id}", ct);
    Load.Request byContact = (n, ct) => Get($"/api/v1/clients/lookup?type=phone&value={Uri.EscapeDataString(clients[(n * 7919) % clients.Length].Phone)}", ct);
    Load.Request chatList = (_, ct) => Get("/api/v1/chats?limit=50", ct);

    // Warm-up: activate the grains and the connection pool outside the measured windows.
    await Load.ClosedAsync("warm-up", 16, TimeSpan.FromSeconds(Math.Min(3, seconds.TotalSeconds)), byId);

    // Reads first; the open-loop send goes last because the outbox keeps working on its backlog afterwards.
    var scenarios = new (string Name, Func<Task<ScenarioResult>> Run)[]
    {
        ("client by id", () => Load.OpenAsync("client by id", 2000, seconds, byId)),
        ("client lookup by phone", () => Load.OpenAsync("client lookup by phone", 2000, seconds, byContact)),
        ("chat list, first 50", () => Load.OpenAsync("chat list, first 50", 200, seconds, chatList)),
        ("inbound Twilio webhook, max", () => Load.ClosedAsync("inbound Twilio webhook, max", 64, seconds, Webhook)),
        ("send message (202), max", () => Load.ClosedAsync("send message (202), max", 64, seconds, Send)),
        ("send message (202)", () => Load.OpenAsync("send message (202)", 1000, seconds, Send)),
    };
    var only = options.GetValueOrDefault("only");
    foreach (var (name, run) in scenarios.Where(s => only is null || s.Name.StartsWith(only, StringComparison.Ordinal)))
    {
        var result = await run();
        results.Add(result);
        Console.WriteLine($"  {name}: {result.Throughput:0}/s p99 {result.P99:0.0} ms, {result.Errors} errors{(result.FirstError is null ? "" : " (first: " + Trim(result.FirstError) + ")")}");
        await Task.Delay(1000); // let queued background work (outbox, streams) drain a little between scenarios
    }
    await Task.Delay(2000);
    var single = double.Parse(Opt("pg-single"), inv);
    var multiRows = double.Parse(Opt("pg-multi-rows"), inv);
    var table = new StringBuilder();
    table.AppendLine("| scenario | offered load | achieved /s | p50 ms | p95 ms | p99 ms | errors | ÷ pgbench single-row commits/s | target (issue 5) |");
    table.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---|");
    foreach (var r in results)
    {
        var messagePath = r.Name.StartsWith("send", StringComparison.Ordinal) || r.Name.StartsWith("inbound", StringComparison.Ordinal);
        table.AppendLine(inv, $"| {r.Name} | {r.Offered} | {r.Throughput:0} | {r.P50:0.0} | {r.P95:0.0} | {r.P99:0.0} | {r.Errors}{(r.FirstError is null ? "" : " (" + Trim(r.FirstError).Replace("|", "/", StringComparison.Ordinal) + ")")} | {(messagePath ? (r.Throughput / single).ToString("0.00", inv) : "")} | {Target(r.Name)} |");
    }
    table.AppendLine(inv, $"| pgbench: 1-row insert commits, 8 clients | closed, 8 in flight | {single:0} | | | | | 1.00 | |");
    table.AppendLine(inv, $"| pgbench: 50-row insert commits (rows/s), 8 clients | closed, 8 in flight | {multiRows:0} | | | | | {multiRows / single:0.00} | |");
    table.AppendLine();
    table.AppendLine(inv, $"Seed: {clients.Length} clients with a phone contact and an open chat in {state.SeedSeconds:0.0} s ({clients.Length / state.SeedSeconds:0}/s, 32 parallel requests). Each scenario ran {seconds.TotalSeconds:0} s after a warm-up. The fake Twilio API received {twilio.Calls} outbound sends during the run.");
    await File.WriteAllTextAsync(Opt("out"), table.ToString());
    Console.WriteLine();
    Console.Write(table);
    return 0;
}

static string Target(string scenario) => scenario switch
{
    "client by id" or "client lookup by phone" => "p99 ≤ 5 ms at 2,000/s, 1M clients",
    "chat list, first 50" => "p99 ≤ 25 ms at 200/s, 100k chats",
    "send message (202)" => "p99 ≤ 50 ms at 1,000/s",
    "inbound Twilio webhook, max" => "≥ 5,000/s and ≥ 1.0 × pgbench",
    _ => "",
};

static string Trim(string s) => s.Length > 160 ? s[..160] + "…" : s;

static HttpRequestMessage Authed(HttpMethod method, string path, string key)
{
    var request = new HttpRequestMessage(method, path);
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
    return request;
}

// Valid NANP numbers: exchange 200-999, so index i maps to area + (2000000 + i).
static string Phone(string area, int i) => $"+1{area}{2000000 + (i % 8000000)}";

// X-Twilio-Signature: Base64(HMAC-SHA1(auth token, URL + each name and value sorted by name)), as Crm.Providers checks it.
static string Sign(string url, SortedDictionary<string, string> form, string authToken)
{
    var data = new StringBuilder(url);
    foreach (var (name, value) in form)
        data.Append(name).Append(value);
    return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
}

internal sealed record Client(string Id, string Phone, string ChatId);

internal sealed record State(string TenantId, string ApiKey, Client[] Clients, double SeedSeconds);
