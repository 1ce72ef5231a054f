using System.Collections.Concurrent;
using System.Diagnostics;
using Crm.Silo;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace Crm.Grains.Tests;

public interface IStreamProbeGrain : IGrainWithStringKey;

/// <summary>
/// A subscriber of the test namespace on the events provider, as ContactGrain is of the inbound one: it records every
/// delivery, and an item that starts with "poison" throws, every time.
/// </summary>
[ImplicitStreamSubscription(StreamProbe.Namespace)]
internal sealed class StreamProbeGrain : Grain, IStreamProbeGrain, IStreamSubscriptionObserver, IAsyncObserver<string>
{
    public Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) => handleFactory.Create<string>().ResumeAsync(this);

    public Task OnNextAsync(string item, StreamSequenceToken? token = null)
    {
        StreamProbe.Record(this.GetPrimaryKeyString(), item, token as CrmStreamToken);
        return item.StartsWith("poison", StringComparison.Ordinal)
            ? throw new InvalidOperationException($"The probe refuses {item}.")
            : Task.CompletedTask;
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}

/// <summary>What the probes received, in the order they received it (the silo runs in the test process).</summary>
public static class StreamProbe
{
    public const string Namespace = "stream-probe";

    public sealed record Delivery(string StreamKey, string Item, int Attempt, long RowId, long At);

    private static readonly ConcurrentQueue<Delivery> Deliveries = new();

    public static void Record(string streamKey, string item, CrmStreamToken? token) =>
        Deliveries.Enqueue(new Delivery(streamKey, item, token?.Attempt ?? 0, token?.RowId ?? 0, Stopwatch.GetTimestamp()));

    public static IReadOnlyList<Delivery> Of(string streamKey) => [.. Deliveries.Where(d => d.StreamKey == streamKey)];

    public static StreamId Stream(string key) => StreamId.Create(Namespace, key);
}
