using System.Diagnostics;

namespace Crm.Bench;

/// <summary>One scenario's outcome: what was offered, what got through, and the latency distribution.</summary>
public sealed record ScenarioResult(string Name, string Offered, double Throughput, double P50, double P95, double P99, long Ok, long Errors, string? FirstError);

/// <summary>Latency samples in milliseconds; sorted once at the end (simple and exact at these sample counts).</summary>
public sealed class Histogram
{
    private readonly List<double> _samples = [];
    private readonly Lock _lock = new();

    public void Add(IEnumerable<double> samples)
    {
        lock (_lock)
            _samples.AddRange(samples);
    }

    public (double P50, double P95, double P99) Percentiles()
    {
        lock (_lock)
        {
            if (_samples.Count == 0)
                return (double.NaN, double.NaN, double.NaN);
            _samples.Sort();
            return (At(0.50), At(0.95), At(0.99));
        }
    }

    private double At(double q) => _samples[Math.Min(_samples.Count - 1, (int)Math.Ceiling(q * _samples.Count) - 1)];
}

/// <summary>
/// Closed loop: a fixed number of workers, each sending its next request when the previous one answered.
/// Open loop: requests start on a fixed schedule whatever the answers do; latency counts from the scheduled
/// start, so a server that falls behind shows it (no coordinated omission).
/// </summary>
public static class Load
{
    /// <summary>The request: given a sequence number, true when the answer is the expected one, else an error text.</summary>
    public delegate Task<string?> Request(long n, CancellationToken cancellationToken);

    /// <summary>Closed loop for <paramref name="duration"/>, or until <paramref name="stopAfter"/> requests have been sent.</summary>
    public static async Task<ScenarioResult> ClosedAsync(string name, int concurrency, TimeSpan duration, Request request, long stopAfter = long.MaxValue)
    {
        var histogram = new Histogram();
        long next = 0, ok = 0, errors = 0;
        string? firstError = null;
        var watch = Stopwatch.StartNew();
        var end = duration;
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var local = new List<double>();
            while (watch.Elapsed < end)
            {
                var n = Interlocked.Increment(ref next);
                if (n > stopAfter)
                    break;
                var start = watch.Elapsed;
                var error = await Safe(request, n, watch, duration);
                local.Add((watch.Elapsed - start).TotalMilliseconds);
                if (error is null)
                    Interlocked.Increment(ref ok);
                else
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, error, null);
                }
            }
            histogram.Add(local);
        })).ToArray();
        await Task.WhenAll(workers);
        var elapsed = watch.Elapsed.TotalSeconds;
        var (p50, p95, p99) = histogram.Percentiles();
        return new ScenarioResult(name, $"closed, {concurrency} in flight", ok / elapsed, p50, p95, p99, ok, errors, firstError);
    }

    public static async Task<ScenarioResult> OpenAsync(string name, double rate, TimeSpan duration, Request request, int maxInFlight = 4000)
    {
        var histogram = new Histogram();
        long ok = 0, errors = 0, dropped = 0, inFlight = 0;
        string? firstError = null;
        var watch = Stopwatch.StartNew();
        var total = (long)(rate * duration.TotalSeconds);
        var running = new List<Task>();
        var samples = new System.Collections.Concurrent.ConcurrentQueue<double>();
        for (long n = 0; n < total; n++)
        {
            var due = TimeSpan.FromSeconds(n / rate);
            var wait = due - watch.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
                await Task.Delay(wait);
            if (Interlocked.Read(ref inFlight) >= maxInFlight)
            {
                dropped++;
                continue;
            }
            Interlocked.Increment(ref inFlight);
            var number = n;
            running.Add(Task.Run(async () =>
            {
                var error = await Safe(request, number, watch, duration);
                samples.Enqueue((watch.Elapsed - due).TotalMilliseconds);
                Interlocked.Decrement(ref inFlight);
                if (error is null)
                    Interlocked.Increment(ref ok);
                else
                {
                    Interlocked.Increment(ref errors);
                    Interlocked.CompareExchange(ref firstError, error, null);
                }
            }));
        }
        await Task.WhenAll(running);
        var elapsed = watch.Elapsed.TotalSeconds;
        histogram.Add(samples);
        var (p50, p95, p99) = histogram.Percentiles();
        if (dropped > 0)
            firstError ??= $"{dropped} not sent: {maxInFlight} already in flight";
        return new ScenarioResult(name, $"open, {rate:0}/s", ok / elapsed, p50, p95, p99, ok, errors + dropped, firstError);
    }

    /// <summary>How long requests still running at the end of a scenario may take before they count as timed out.</summary>
    public static TimeSpan Grace { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Runs one request, giving up when the scenario's window plus <see cref="Grace"/> has passed.</summary>
    private static async Task<string?> Safe(Request request, long n, Stopwatch watch, TimeSpan duration)
    {
        var left = duration + Grace - watch.Elapsed;
        try
        {
            using var timeout = new CancellationTokenSource(left > TimeSpan.FromMilliseconds(50) ? left : TimeSpan.FromMilliseconds(50));
            return await request(n, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            return $"timed out: no answer {Grace.TotalSeconds:0} s after the window closed";
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return e.GetType().Name + ": " + e.Message;
        }
    }
}
