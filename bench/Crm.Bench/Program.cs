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
//   creates a tenant and N clients with a phone each through the API, opens their chats, writes FILE (JSON).
// Crm.Bench seed --db CS --state FILE --total N --chats M
//   with the API stopped, copies clients up to N in all (M of them with a chat) straight into PostgreSQL.
// Crm.Bench run --url U --state FILE --auth-token T --twilio-port P --seconds S --db CS --api-pid PID --out FILE
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
{ BaseAddress = new Uri(options.GetValueOrDefault("url") ?? "http://127.0.0.1/"), Timeout = TimeSpan.FromSeconds(60) };

switch (command)
{
    case "setup":
        await SetupAsync(int.Parse(Opt("clients"), inv), Opt("system-key"), Opt("state"));
        return 0;
    case "seed":
        await SeedAsync();
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
        var phone = Numbers.Phone("415", i);
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
    await File.WriteAllTextAsync(stateFile, JsonSerializer.Serialize(new State(tenantId, apiKey, clients, watch.Elapsed.TotalSeconds, count, count, 0)));
}

async Task SeedAsync()
{
    var state = JsonSerializer.Deserialize<State>(await File.ReadAllTextAsync(Opt("state")))!;
    var total = int.Parse(Opt("total"), inv);
    var chats = Math.Min(total, int.Parse(Opt("chats"), inv));
    var seconds = await BulkSeed.RunAsync(Opt("db"), state.TenantId, state.Clients[0], "Client0", state.Clients.Length, total, chats);
    Console.WriteLine($"bulk-seeded {total - state.Clients.Length} clients ({chats - state.Clients.Length} with a chat) in {seconds:0.0} s");
    await File.WriteAllTextAsync(Opt("state"), JsonSerializer.Serialize(state with { Total = total, Chats = chats, BulkSeconds = seconds }));
}

async Task<int> RunAsync()
{
    var state = JsonSerializer.Deserialize<State>(await File.ReadAllTextAsync(Opt("state")))!;
    var authToken = Opt("auth-token");
    var publicBase = Opt("url").TrimEnd('/');
    var seconds = TimeSpan.FromSeconds(double.Parse(Opt("seconds"), inv));
    var total = state.Total;
    var db = Opt("db");
    var apiPid = int.Parse(Opt("api-pid"), inv);
    Load.Grace = TimeSpan.FromSeconds(Math.Clamp(seconds.TotalSeconds / 2, 2, 10));
    using var twilio = new FakeTwilio(int.Parse(Opt("twilio-port"), inv));
    var results = new List<ScenarioResult>();
    var notes = new List<string>();
    var cpuPerRequest = new List<string>();
    var costs = new Dictionary<string, string>(StringComparer.Ordinal);
    var baseline = Baseline.Read(options.GetValueOrDefault("baseline"));
    await using var connections = new ConnectionSampler(db);

    var runId = Guid.NewGuid().ToString("N")[..6];
    async Task<string?> Get(string path, CancellationToken ct)
    {
        using var request = Authed(HttpMethod.Get, path, state.ApiKey);
        using var answer = await http.SendAsync(request, ct);
        await answer.Content.LoadIntoBufferAsync(ct);
        return answer.StatusCode == HttpStatusCode.OK ? null : $"{(int)answer.StatusCode} on GET {path}";
    }

    async Task<string?> Send(long n, CancellationToken ct)
    {
        using var request = Authed(HttpMethod.Post, $"/api/v1/chats/{state.At(n % state.Chats).ChatId}/messages", state.ApiKey);
        request.Content = JsonContent.Create(new { text = $"bench message {runId} {n}" });
        twilio.Sends.Start($"bench message {runId} {n}");
        using var answer = await http.SendAsync(request, ct);
        await answer.Content.LoadIntoBufferAsync(ct);
        return answer.StatusCode == HttpStatusCode.Accepted ? null : $"{(int)answer.StatusCode} on send: {await answer.Content.ReadAsStringAsync(ct)}";
    }

    var webhookPath = $"/webhooks/twilio/{state.TenantId}";
    Task<string?> Webhook(long n, CancellationToken ct) => Inbound($"SM{runId}{n:D26}", Numbers.Phone("628", (int)n), $"inbound {n}", ct);
    // From the seeded clients' phones, spread over their chats: the common case of a client writing again.
    Task<string?> WebhookToChat(long n, CancellationToken ct) =>
        Inbound($"SM{runId}x{n:D25}", Numbers.Phone("415", (int)(n * 7919 % state.Chats)), $"again {n}", ct);
    async Task<string?> Inbound(string sid, string from, string body, CancellationToken ct)
    {
        var form = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["AccountSid"] = FakeTwilio.AccountSid, ["ApiVersion"] = "2010-04-01", ["Body"] = body,
            ["From"] = from, ["MessageSid"] = sid, ["NumMedia"] = "0", ["NumSegments"] = "1",
            ["SmsMessageSid"] = sid, ["SmsSid"] = sid, ["SmsStatus"] = "received", ["To"] = FakeTwilio.SmsFrom,
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, webhookPath) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", Sign(publicBase + webhookPath, form, authToken));
        using var answer = await http.SendAsync(request, ct);
        await answer.Content.LoadIntoBufferAsync(ct);
        return answer.StatusCode == HttpStatusCode.OK ? null : $"{(int)answer.StatusCode} on webhook: {await answer.Content.ReadAsStringAsync(ct)}";
    }

    // Spread over the whole tenant: most lookups find their client's grain inactive and read it from PostgreSQL.
    Load.Request byId = (n, ct) => Get($"/api/v1/clients/{state.At(n * 7919 % total).Id}", ct);
    Load.Request byContact = (n, ct) => Get($"/api/v1/clients/lookup?type=phone&value={Uri.EscapeDataString(state.At((n * 7919 + 13) % total).Phone)}", ct);
    Load.Request chatList = (_, ct) => Get("/api/v1/chats?limit=50", ct);

    // The same read over 1,000 clients whose grains are already active: what a read costs without the activation.
    const int ActiveSet = 1000;
    Load.Request byIdActive = (n, ct) => Get($"/api/v1/clients/{state.At(n * 7919 % ActiveSet * (total / ActiveSet)).Id}", ct);
    async Task<ScenarioResult> ActiveSetAsync()
    {
        await Load.ClosedAsync("activate the set", 32, TimeSpan.FromSeconds(30), byIdActive, stopAfter: ActiveSet);
        return await Load.OpenAsync($"client by id, {ActiveSet:N0} active clients", 2000, seconds, byIdActive);
    }

    // Warm-up: activate the grains and the connection pool outside the measured windows.
    await Load.ClosedAsync("warm-up", 16, TimeSpan.FromSeconds(Math.Min(3, seconds.TotalSeconds)), byId);

    // Reads first; the open-loop send goes last because the outbox keeps working on its backlog afterwards.
    // The open-loop send also yields the delivery latency: from each send's scheduled start to its arrival at the fake.
    async Task<ScenarioResult> SendOpenAsync()
    {
        twilio.Sends.Reset();
        var sent = await Load.OpenAsync("send message (202)", 1000, seconds, Send);
        await Task.Delay(Load.Grace);
        results.Add(sent);
        return twilio.Sends.Result("delivered to the provider fake", sent.Offered, seconds, sent.Ok);
    }

    // 100,000 chats (the seeded ones) each get one inbound message; stored within a minute, and memory per chat.
    async Task<ScenarioResult> ConcurrentChatsAsync()
    {
        var before = Memory.Of(apiPid);
        var heapBefore = await Heap.OfAsync(http);
        var marker = $"chats {runId} ";
        var count = state.Chats;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var window = TimeSpan.FromSeconds(60);
        var result = await Load.ClosedAsync("concurrent chats: one message each", 128, window,
            (n, ct) => Inbound($"SM{runId}c{n:D25}", Numbers.Phone("415", (int)n - 1), marker + n, ct),
            stopAfter: count);
        long stored;
        while ((stored = await Db.CountAsync(db, state.TenantId, marker)) < count && watch.Elapsed < window)
            await Task.Delay(1000);
        var within = stored;
        while ((stored = await Db.CountAsync(db, state.TenantId, marker)) < result.Ok && watch.Elapsed < window * 2)
            await Task.Delay(1000);
        var after = Memory.Of(apiPid);
        var heapAfter = await Heap.OfAsync(http);
        var chatGrains = heapAfter.Of("ChatGrain") - heapBefore.Of("ChatGrain");
        notes.Add(string.Create(inv, $"Live memory (the API's managed heap after a forced full collection, no garbage): {heapBefore.HeapBytes / 1048576.0:0} MB with {heapBefore.Activations:N0} grain activations before, {heapAfter.HeapBytes / 1048576.0:0} MB with {heapAfter.Activations:N0} after ({chatGrains:N0} more chat activations): {(heapAfter.HeapBytes - heapBefore.HeapBytes) / 1024.0 / Math.Max(1, chatGrains):0.0} KB per newly active chat, {(heapAfter.HeapBytes - heapBefore.HeapBytes) / 1024.0 / Math.Max(1, heapAfter.Activations - heapBefore.Activations):0.0} KB per activation of any kind. Activations after, by type: {string.Join(", ", heapAfter.ActivationsByType.OrderByDescending(p => p.Value).Take(6).Select(p => $"{p.Key.Split(',')[0].Split('.').Last()} {p.Value:N0}"))}."));
        notes.Add(string.Create(inv, $"Concurrent chats: {result.Ok:N0} of {count:N0} inbound messages acknowledged in {Math.Min(watch.Elapsed.TotalSeconds, 60):0} s; {within:N0} stored within the minute, {stored:N0} after {watch.Elapsed.TotalSeconds:0} s. API process working set {before.WorkingSetMb:0} MB → {after.WorkingSetMb:0} MB, private (anonymous) memory {before.AnonymousMb:0} MB → {after.AnonymousMb:0} MB over {stored:N0} newly active chats: {(after.WorkingSetMb - before.WorkingSetMb) * 1024 / Math.Max(1, stored):0.0} KB working set, {(after.AnonymousMb - before.AnonymousMb) * 1024 / Math.Max(1, stored):0.0} KB private memory per chat (the chat grain; its contact grain deactivates once the message is routed). Working set and private memory include garbage the GC has not collected yet, so they overstate the live cost."));
        return result with { Name = $"concurrent chats: {count:N0}, one inbound message each", Offered = $"closed, 128 in flight, ≤ 60 s; {within:N0} stored in 60 s" };
    }

    // Webhook in → the event on the tenant's SSE stream, at 1,000 messages/s to the seeded chats.
    async Task<ScenarioResult> EndToEndAsync()
    {
        var marker = $"e2e {runId} ";
        await using var events = await EventStream.OpenAsync(http, state.ApiKey, marker);
        var sent = await Load.OpenAsync("webhook → event on the SSE stream", 1000, seconds,
            (n, ct) => events.Sent(n, () => Inbound($"SM{runId}e{n:D25}", Numbers.Phone("415", (int)(n % state.Chats)), marker + n, ct)));
        await Task.Delay(Load.Grace);
        return events.Result(sent, seconds);
    }

    var scenarios = new (string Name, Func<Task<ScenarioResult>> Run)[]
    {
        ("client by id", () => Load.OpenAsync("client by id", 2000, seconds, byId)),
        // Further along the same permutation of the tenant, so these clients were not read before.
        ("client by id, max", () => Load.ClosedAsync("client by id, max (inactive grains)", 64, seconds, (n, ct) => byId(n + 300_000, ct))),
        ("client by id, active", ActiveSetAsync),
        ("client lookup by phone", () => Load.OpenAsync("client lookup by phone", 2000, seconds, byContact)),
        ("chat list, first 50", () => Load.OpenAsync("chat list, first 50", 200, seconds, chatList)),
        ("inbound Twilio webhook, existing chats", () => Load.ClosedAsync("inbound Twilio webhook, existing chats, max", 64, seconds, WebhookToChat)),
        ("inbound Twilio webhook, max", () => Load.ClosedAsync("inbound Twilio webhook, max", 64, seconds, Webhook)),
        ("send message (202), max", () => Load.ClosedAsync("send message (202), max", 64, seconds, Send)),
        ("send message (202)", SendOpenAsync),
        ("concurrent chats", ConcurrentChatsAsync),
        ("webhook → event", EndToEndAsync),
    };
    var only = options.GetValueOrDefault("only");
    var statements = await Statements.ResetAsync(db);
    foreach (var (name, run) in scenarios.Where(s => only is null || s.Name.StartsWith(only, StringComparison.Ordinal)))
    {
        var first = results.Count;
        var cpuBefore = CpuTime.Of(apiPid);
        var workBefore = await DbWork.OfAsync(db);
        results.Add(await run());
        foreach (var r in results.Skip(first))
            Console.WriteLine($"  {r.Name}: {r.Throughput:0}/s p99 {r.P99:0.0} ms, {r.Errors} errors{(r.FirstError is null ? "" : " (first: " + Trim(r.FirstError) + ")")}");
        // Requests the load generator gave up on may still run in the server; the next scenario starts once it is idle again.
        await SettleAsync();
        var used = CpuTime.Of(apiPid) - cpuBefore;
        var work = await DbWork.OfAsync(db) - workBefore;
        var main = results[first];
        if (main.Errors == 0 && main.Ok > 0)
        {
            cpuPerRequest.Add($"{main.Name} {used.PerRequest(main.Ok)}");
            costs[main.Name] = string.Create(inv, $"{(used.ApiMs + used.PostgresMs) / main.Ok:0.00} ms; {work.PerRequest(main.Ok)}");
        }
    }
    if (statements)
        Console.WriteLine("PostgreSQL statements during the scenarios (pg_stat_statements):\n" + await Statements.TopAsync(db));
    notes.Add("CPU per request, in ms: API process / PostgreSQL (all its processes) / load generator / everything else on the machine, over each scenario without errors, from its start until the server was idle again: "
        + (cpuPerRequest.Count == 0 ? "none" : string.Join("; ", cpuPerRequest)) + ".");

    async Task SettleAsync()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            var probe = System.Diagnostics.Stopwatch.StartNew();
            await Get("/api/v1/chats?limit=1", CancellationToken.None);
            if (probe.ElapsedMilliseconds < 20)
                return;
            await Task.Delay(500);
        }
    }
    var single = double.Parse(Opt("pg-single"), inv);
    var multiRows = double.Parse(Opt("pg-multi-rows"), inv);
    var table = new StringBuilder();
    table.AppendLine(inv, $"| scenario | offered load | achieved /s | p50 ms | p95 ms | p99 ms | errors | ÷ pgbench single-row commits/s | CPU API + PostgreSQL; statements / commits, per request | before ({(baseline.Date.Length > 0 ? baseline.Date : "no earlier report")}) | target (issue 12) |");
    table.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---|---|---|");
    foreach (var r in results)
    {
        var messagePath = r.Name.StartsWith("send", StringComparison.Ordinal) || r.Name.StartsWith("inbound", StringComparison.Ordinal)
            || r.Name.StartsWith("concurrent", StringComparison.Ordinal) || r.Name.StartsWith("webhook", StringComparison.Ordinal);
        table.AppendLine(inv, $"| {r.Name} | {r.Offered} | {r.Throughput:0} | {r.P50:0.0} | {r.P95:0.0} | {r.P99:0.0} | {r.Errors}{(r.FirstError is null ? "" : " (" + Trim(r.FirstError).Replace("|", "/", StringComparison.Ordinal) + ")")} | {(messagePath ? (r.Throughput / single).ToString("0.00", inv) : "")} | {costs.GetValueOrDefault(r.Name, "")} | {baseline.Of(r.Name)} | {Target(r.Name)} |");
    }
    table.AppendLine(inv, $"| pgbench: 1-row insert commits, 8 clients | closed, 8 in flight | {single:0} | | | | | 1.00 | | {baseline.Of("pgbench: 1-row insert commits, 8 clients")} | |");
    table.AppendLine(inv, $"| pgbench: 50-row insert commits (rows/s), 8 clients | closed, 8 in flight | {multiRows:0} | | | | | {multiRows / single:0.00} | | {baseline.Of("pgbench: 50-row insert commits (rows/s), 8 clients")} | |");
    table.AppendLine();
    table.AppendLine(inv, $"Seed: a tenant of {total:N0} clients with a phone contact, {state.Chats:N0} of them with a chat: {state.Clients.Length} through the API in {state.SeedSeconds:0.0} s ({state.Clients.Length / state.SeedSeconds:0}/s, 32 parallel requests), the rest copied into PostgreSQL (clients, contacts and chats rows, in the rows' own format) in {state.BulkSeconds:0.0} s. Each timed scenario ran {seconds.TotalSeconds:0} s after a warm-up. The fake Twilio API received {twilio.Calls} outbound sends during the run.");
    notes.Add($"PostgreSQL backends during the scenarios (sampled every 0.5 s): {connections.Summary()}.");
    foreach (var note in notes)
    {
        table.AppendLine();
        table.AppendLine(note);
    }
    await File.WriteAllTextAsync(Opt("out"), table.ToString());
    Console.WriteLine();
    Console.Write(table);
    return 0;
}

static string Target(string scenario) => scenario switch
{
    "client by id" or "client lookup by phone" => "p99 ≤ 5 ms at 2,000/s, 1M clients",
    "client by id, max (inactive grains)" => "≥ 4,000/s; ≤ 0.4 ms CPU per read",
    _ when scenario.StartsWith("client by id, 1,000 active", StringComparison.Ordinal) => "(p99 ≤ 5 ms at 2,000/s)",
    "chat list, first 50" => "p99 ≤ 25 ms at 200/s, 100k chats (issue 5)",
    "send message (202)" => "p99 ≤ 50 ms at 1,000/s",
    "inbound Twilio webhook, existing chats, max" => "≥ 0.5 × pgbench; ≤ 0.6 ms CPU, ≤ 6 statements, ≤ 2 commits",
    "inbound Twilio webhook, max" => "new senders: ≥ 0.2 × pgbench",
    "delivered to the provider fake" => "p99 ≤ 250 ms (at 1,000/s)",
    "webhook → event on the SSE stream" => "p99 ≤ 500 ms at 1,000/s",
    _ when scenario.StartsWith("concurrent", StringComparison.Ordinal) => "100,000 chats each get a message within 60 s; ≤ 4 KB live heap per active chat",
    _ => "",
};

static string Trim(string s) => s.Length > 160 ? s[..160] + "…" : s;

static HttpRequestMessage Authed(HttpMethod method, string path, string key)
{
    var request = new HttpRequestMessage(method, path);
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
    return request;
}

// X-Twilio-Signature: Base64(HMAC-SHA1(auth token, URL + each name and value sorted by name)), as Crm.Providers checks it.
static string Sign(string url, SortedDictionary<string, string> form, string authToken)
{
    var data = new StringBuilder(url);
    foreach (var (name, value) in form)
        data.Append(name).Append(value);
    return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
}

internal sealed record Client(string Id, string Phone, string ChatId);

internal sealed record State(string TenantId, string ApiKey, Client[] Clients, double SeedSeconds, int Total, int Chats, double BulkSeconds)
{
    /// <summary>Client i of the tenant: one the API created, else one the bulk seed derived from its index.</summary>
    public Client At(long i) => i < Clients.Length ? Clients[i] : new Client(BulkSeed.ClientId((int)i), Numbers.Phone("415", (int)i), BulkSeed.ChatId((int)i));
}

// Valid NANP numbers: exchange 200-999, so index i maps to area + (2000000 + i).
internal static class Numbers
{
    public static string Phone(string area, int i) => $"+1{area}{2000000 + (i % 8000000)}";
}
