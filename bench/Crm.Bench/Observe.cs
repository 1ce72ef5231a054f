using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Crm.Bench;

/// <summary>Memory of a process from /proc: its working set (VmRSS) and its private anonymous part (RssAnon), in MB.</summary>
public sealed record Memory(double WorkingSetMb, double AnonymousMb)
{
    public static Memory Of(int pid)
    {
        var status = File.ReadAllLines($"/proc/{pid}/status");
        double Kb(string field) => double.Parse(status.First(l => l.StartsWith(field, StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return new Memory(Kb("VmRSS:") / 1024, Kb("RssAnon:") / 1024);
    }
}

/// <summary>
/// The API's live heap after a forced full collection and its grain activations by type (the API's loopback-only
/// <c>/diagnostics/heap</c>, on when the bench starts it): what the active chats cost without uncollected garbage.
/// </summary>
public sealed record Heap(long HeapBytes, long CommittedBytes, int Activations, Dictionary<string, int> ActivationsByType)
{
    public static async Task<Heap> OfAsync(HttpClient http)
    {
        using var answer = await http.PostAsync("/diagnostics/heap", null);
        answer.EnsureSuccessStatusCode();
        return (await answer.Content.ReadFromJsonAsync<Heap>(new JsonSerializerOptions(JsonSerializerDefaults.Web)))!;
    }

    /// <summary>Activations of grain types whose name contains the fragment (e.g. "ChatGrain").</summary>
    public int Of(string typeFragment) => ActivationsByType.Where(p => p.Key.Contains(typeFragment, StringComparison.OrdinalIgnoreCase)).Sum(p => p.Value);
}

/// <summary>
/// CPU time used so far, in ms, from /proc: by the API process, by every PostgreSQL server process, by this load
/// generator and by the whole machine (all cores, busy). Differences over a scenario divided by its requests give
/// what each request cost and where, a figure that holds up on a shared machine where latencies and rates do not.
/// </summary>
public sealed record CpuTime(double ApiMs, double PostgresMs, double LoadMs, double MachineMs)
{
    private const double MsPerTick = 10; // USER_HZ is 100 on Linux

    public static CpuTime Of(int apiPid)
    {
        double postgres = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(dir), out var pid) && Process(pid) is ("postgres", var ms))
                postgres += ms;
        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var busy = cpu.Take(8).Sum() - cpu[3] - cpu[4]; // all but idle and iowait
        return new CpuTime(Process(apiPid)?.Ms ?? 0, postgres, Process(Environment.ProcessId)?.Ms ?? 0, busy * MsPerTick);
    }

    /// <summary>A process's command name and its CPU time (user + system), or null when it is gone.</summary>
    private static (string Name, double Ms)? Process(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return (stat[(stat.IndexOf('(') + 1)..close], ticks * MsPerTick);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static CpuTime operator -(CpuTime a, CpuTime b) =>
        new(a.ApiMs - b.ApiMs, a.PostgresMs - b.PostgresMs, a.LoadMs - b.LoadMs, a.MachineMs - b.MachineMs);

    public string PerRequest(long requests) => string.Create(CultureInfo.InvariantCulture,
        $"{ApiMs / requests:0.00} / {PostgresMs / requests:0.00} / {LoadMs / requests:0.00} / {(MachineMs - ApiMs - PostgresMs - LoadMs) / requests:0.00}");
}

/// <summary>
/// Where PostgreSQL's time goes, when the server was started with pg_stat_statements preloaded
/// (<c>CRM_PG_EXTRA_CONF="shared_preload_libraries = 'pg_stat_statements'" ./crm bench</c>); a no-op otherwise.
/// </summary>
public static class Statements
{
    public static async Task<bool> ResetAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var check = new NpgsqlCommand("select current_setting('shared_preload_libraries') like '%pg_stat_statements%'", connection);
        if (!(bool)(await check.ExecuteScalarAsync())!)
            return false;
        await using var reset = new NpgsqlCommand("create extension if not exists pg_stat_statements; select pg_stat_statements_reset()", connection);
        await reset.ExecuteNonQueryAsync();
        return true;
    }

    /// <summary>The statements that took the most time since the reset: total ms, calls, ms per call, rows, text.</summary>
    public static async Task<string> TopAsync(string connectionString, int count = 15)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            select round(total_exec_time::numeric, 0), calls, round((total_exec_time / calls)::numeric, 3), rows,
                   regexp_replace(left(query, 110), '\s+', ' ', 'g')
            from pg_stat_statements order by total_exec_time desc limit $1
            """, connection);
        cmd.Parameters.Add(new() { Value = count });
        var text = new System.Text.StringBuilder("total ms | calls | ms/call | rows | statement\n");
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            text.AppendLine($"{reader.GetDecimal(0)} | {reader.GetInt64(1)} | {reader.GetDecimal(2)} | {reader.GetInt64(3)} | {reader.GetString(4)}");
        return text.ToString();
    }
}

public static class Db
{
    /// <summary>Messages of the tenant whose text starts with the marker: how many of a scenario's messages are stored.</summary>
    public static async Task<long> CountAsync(string connectionString, string tenantId, string marker)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var cmd = new NpgsqlCommand("select count(*) from messages where tenant_id = $1 and text like $2", connection);
        cmd.Parameters.Add(new() { Value = tenantId });
        cmd.Parameters.Add(new() { Value = marker + "%" });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}

/// <summary>
/// Samples the database's backends twice a second while the scenarios run: how many connections the system holds
/// and how many are busy at once, the figure the connection pool sizes are set from.
/// </summary>
public sealed class ConnectionSampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private readonly List<(long Open, long Active)> _samples = [];

    public ConnectionSampler(string connectionString) => _sampling = Task.Run(() => SampleAsync(connectionString));

    private async Task SampleAsync(string connectionString)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(_stop.Token);
            await using var cmd = new NpgsqlCommand(
                "select count(*), count(*) filter (where state = 'active') - 1 from pg_stat_activity where datname = current_database()", connection);
            while (!_stop.IsCancellationRequested)
            {
                await using (var reader = await cmd.ExecuteReaderAsync(_stop.Token))
                {
                    await reader.ReadAsync(_stop.Token);
                    lock (_samples)
                        _samples.Add((reader.GetInt64(0), reader.GetInt64(1)));
                }
                await Task.Delay(500, _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or NpgsqlException)
        {
        }
    }

    public string Summary()
    {
        lock (_samples)
        {
            if (_samples.Count == 0)
                return "no connection samples";
            var active = _samples.Select(s => s.Active).Order().ToList();
            return string.Create(CultureInfo.InvariantCulture,
                $"connections open up to {_samples.Max(s => s.Open)}; busy at once: median {active[active.Count / 2]}, p99 {active[Math.Min(active.Count - 1, (int)(active.Count * 0.99))]}, max {active[^1]} ({_samples.Count} samples)");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }
}

/// <summary>Milliseconds from a start (Stopwatch timestamps), keyed by a message marker, collected once each.</summary>
public sealed class Arrivals
{
    private readonly ConcurrentDictionary<string, long> _started = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<double> _latencies = new();

    public void Start(string key) => _started[key] = Stopwatch.GetTimestamp();

    public void Arrived(string key)
    {
        if (_started.TryRemove(key, out var start))
            _latencies.Enqueue(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    public void Reset()
    {
        _started.Clear();
        _latencies.Clear();
    }

    /// <summary>The arrivals as a scenario: what never arrived counts as an error.</summary>
    public ScenarioResult Result(string name, string offered, TimeSpan window, long expected)
    {
        var histogram = new Histogram();
        histogram.Add(_latencies);
        var (p50, p95, p99) = histogram.Percentiles();
        var missing = Math.Max(0, expected - _latencies.Count);
        return new ScenarioResult(name, offered, _latencies.Count / window.TotalSeconds, p50, p95, p99, _latencies.Count, missing,
            missing > 0 ? $"{missing} acknowledged but not seen within {Load.Grace.TotalSeconds:0} s after the window" : null);
    }
}

/// <summary>
/// A listener on the tenant's server-sent event stream: each <c>message.received</c> event whose text starts with the
/// marker completes the latency of the webhook that carried it.
/// </summary>
public sealed class EventStream : IAsyncDisposable
{
    private readonly Arrivals _arrivals = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly string _marker;
    private Task _reading = Task.CompletedTask;
    private HttpResponseMessage? _response;

    private EventStream(string marker) => _marker = marker;

    public static async Task<EventStream> OpenAsync(HttpClient http, string apiKey, string marker)
    {
        var stream = new EventStream(marker);
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events/stream");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        stream._response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        stream._response.EnsureSuccessStatusCode();
        var body = await stream._response.Content.ReadAsStreamAsync();
        stream._reading = Task.Run(() => stream.ReadAsync(new StreamReader(body)));
        return stream;
    }

    /// <summary>Starts the clock of message n as its webhook leaves, and passes the webhook's answer on.</summary>
    public async Task<string?> Sent(long n, Func<Task<string?>> webhook)
    {
        _arrivals.Start(n.ToString(CultureInfo.InvariantCulture));
        return await webhook();
    }

    public ScenarioResult Result(ScenarioResult sent, TimeSpan window) =>
        _arrivals.Result("webhook → event on the SSE stream", sent.Offered, window, sent.Ok);

    private async Task ReadAsync(StreamReader reader)
    {
        try
        {
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal) || !line.Contains(_marker, StringComparison.Ordinal))
                    continue;
                using var e = JsonDocument.Parse(line.AsMemory(6));
                if (e.RootElement.GetProperty("type").GetString() != "message.received")
                    continue;
                var text = e.RootElement.GetProperty("message").GetProperty("text").GetString() ?? "";
                if (text.StartsWith(_marker, StringComparison.Ordinal))
                    _arrivals.Arrived(text[_marker.Length..]);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response?.Dispose();
        await _reading;
        _stop.Dispose();
    }
}

/// <summary>
/// The database's own count of work: commits (<c>pg_stat_database.xact_commit</c> of the Crm database) and, when
/// pg_stat_statements is loaded, statements executed (every call but BEGIN, COMMIT and ROLLBACK). Differences over
/// a scenario divided by its requests give the statements and commits each request cost; the bench's own probes
/// (two a second) are a rounding error beside hundreds of requests a second.
/// </summary>
public sealed record DbWork(long Commits, long? Statements)
{
    public static async Task<DbWork> OfAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var commits = new NpgsqlCommand("select xact_commit from pg_stat_database where datname = current_database()", connection);
        var committed = (long)(await commits.ExecuteScalarAsync())!;
        await using var loaded = new NpgsqlCommand("select count(*) > 0 from pg_extension where extname = 'pg_stat_statements'", connection);
        if (!(bool)(await loaded.ExecuteScalarAsync())!)
            return new DbWork(committed, null);
        await using var statements = new NpgsqlCommand("""
            select coalesce(sum(calls), 0)::bigint from pg_stat_statements
             where dbid = (select oid from pg_database where datname = current_database())
               and upper(left(ltrim(query), 6)) not in ('BEGIN', 'COMMIT', 'ROLLBA', 'START ')
            """, connection);
        return new DbWork(committed, (long)(await statements.ExecuteScalarAsync())!);
    }

    public static DbWork operator -(DbWork a, DbWork b) => new(a.Commits - b.Commits, a.Statements - b.Statements);

    public string PerRequest(long requests) => string.Create(CultureInfo.InvariantCulture,
        $"{(Statements is { } s ? (s / (double)requests).ToString("0.0", CultureInfo.InvariantCulture) : "–")} / {Commits / (double)requests:0.00}");
}

/// <summary>
/// A previous report (docs/benchmarks.md of the last full run): each scenario's achieved rate, p99 and ratio to that
/// run's pgbench ceiling, shown beside this run's figures so a change is read as a ratio, not against a noisy absolute.
/// </summary>
public sealed class Baseline
{
    private readonly Dictionary<string, string[]> _rows = new(StringComparer.Ordinal);

    public string Date { get; private set; } = "";

    public static Baseline Read(string? path)
    {
        var baseline = new Baseline();
        if (path is null || !File.Exists(path))
            return baseline;
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("- Date: ", StringComparison.Ordinal))
                baseline.Date = line["- Date: ".Length..];
            if (!line.StartsWith("| ", StringComparison.Ordinal) || line.StartsWith("| scenario", StringComparison.Ordinal))
                continue;
            var cells = line.Split('|').Select(c => c.Trim()).ToArray();
            if (cells.Length > 8)
                baseline._rows[cells[1]] = cells;
        }
        return baseline;
    }

    /// <summary>"rate /s, p99 ms, ratio" of the scenario in the earlier run, or a dash when it had no such row.</summary>
    public string Of(string scenario)
    {
        if (!_rows.TryGetValue(scenario, out var cells))
            return "–";
        var ratio = cells[8].Length > 0 ? $" = {cells[8]} ×" : "";
        // The earlier report's columns: name, offered, achieved, p50, p95, p99, errors, ratio.
        return cells[6].Length > 0 ? $"{cells[3]}/s{ratio}, p99 {cells[6]}" : $"{cells[3]}/s";
    }
}
