using System.Diagnostics.Metrics;
using Crm.Silo;

namespace Crm.Grains.Tests;

/// <summary>Counts the group commit's writes, commits and statements from its meter (the test cluster runs in this process).</summary>
public sealed class CommitMeter : IDisposable
{
    private readonly MeterListener _listener = new();
    private int _writes, _commits, _statements;
    private long _lastActivity = Environment.TickCount64;

    public CommitMeter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == CrmMetrics.MeterName && instrument.Name.StartsWith("crm.group_commit.", StringComparison.Ordinal))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
        {
            if (instrument.Name == "crm.group_commit.writes")
                Interlocked.Increment(ref _commits);
            else if (instrument.Name == "crm.group_commit.statements")
                Interlocked.Add(ref _statements, value);
            Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);
        });
        // One wait is recorded per write, as its commit begins.
        _listener.SetMeasurementEventCallback<double>((instrument, _, _, _) =>
        {
            if (instrument.Name == "crm.group_commit.wait")
                Interlocked.Increment(ref _writes);
            Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);
        });
        _listener.Start();
    }

    /// <summary>What was counted since the last call.</summary>
    public (int Writes, int Commits, int Statements) Take() =>
        (Interlocked.Exchange(ref _writes, 0), Interlocked.Exchange(ref _commits, 0), Interlocked.Exchange(ref _statements, 0));

    /// <summary>Waits until nothing has been committed for a while (earlier tests' deliveries), then starts counting afresh.</summary>
    public async Task QuietAsync()
    {
        var deadline = Environment.TickCount64 + 30_000;
        while (Environment.TickCount64 - Interlocked.Read(ref _lastActivity) < 500 && Environment.TickCount64 < deadline)
            await Task.Delay(100);
        Take();
    }

    public void Dispose() => _listener.Dispose();
}
