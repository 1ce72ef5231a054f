using System.Diagnostics;
using Crm.Silo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Configuration;
using Orleans.Streams;

namespace Crm.Grains.Tests;

/// <summary>A cluster whose streams give up quickly: three attempts, 200 ms then 400 ms apart.</summary>
public sealed class StreamClusterFixture : ClusterFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Crm:Streams:MaxAttempts", "3"),
        new("Crm:Streams:FirstRetryDelay", "00:00:00.200"),
        new("Crm:Streams:MaxRetryDelay", "00:00:01"),
    ];
}

[CollectionDefinition(Name)]
public sealed class StreamClusterCollection : ICollectionFixture<StreamClusterFixture>
{
    public const string Name = "streams";
}

/// <summary>The PostgreSQL stream provider end to end: appended rows, the pulling agents, the probe grain as subscriber.</summary>
[Collection(StreamClusterCollection.Name)]
public sealed class StreamQueueTests(StreamClusterFixture fixture)
{
    private IServiceProvider Silo => fixture.Cluster.Silos[0].ServiceProvider;
    private IStreamAppender Streams => Silo.GetRequiredService<IStreamAppender>();

    [Fact]
    public async Task EachStreamIsDeliveredInTheOrderItWasAppended()
    {
        var keys = Enumerable.Range(0, 3).Select(_ => NewKey()).ToList();

        await Task.WhenAll(keys.Select(async key =>
        {
            for (var i = 0; i < 20; i++)
                await Streams.AppendAsync(StreamProbe.Stream(key), $"item-{i}");
        }));

        foreach (var key in keys)
        {
            await ClusterFixture.EventuallyAsync(() => Task.FromResult(StreamProbe.Of(key).Count >= 20), $"the 20 items of {key} arrive");
            Assert.Equal(Enumerable.Range(0, 20).Select(i => $"item-{i}"), StreamProbe.Of(key).Select(d => d.Item));
        }
    }

    [Fact]
    public async Task DeliveredRowsAreDeleted()
    {
        var key = NewKey();

        for (var i = 0; i < 5; i++)
            await Streams.AppendAsync(StreamProbe.Stream(key), $"item-{i}");
        await ClusterFixture.EventuallyAsync(() => Task.FromResult(StreamProbe.Of(key).Count == 5), "the items arrive");

        await ClusterFixture.EventuallyAsync(async () => await RowsAsync("stream_queue", key) == 0, "the delivered rows are deleted");
        Assert.Equal(0, await RowsAsync("stream_dead_letters", key));
    }

    [Fact]
    public async Task APoisonItemIsRetriedAloneThenDeadLetteredWithItsReasonWhileOtherStreamsGoOn()
    {
        var poisoned = NewKey();
        var neighbours = KeysInTheQueueOf(poisoned, 3);
        // Streams the puller has seen before: a stream's first item also waits for its registration with pub/sub
        // (a grain and its stored state), which is not what this test measures.
        foreach (var key in neighbours)
            await Streams.AppendAsync(StreamProbe.Stream(key), "warm-up");
        await ClusterFixture.EventuallyAsync(() => Task.FromResult(neighbours.All(k => StreamProbe.Of(k).Count == 1)), "the neighbours' first items arrive");

        await Streams.AppendAsync(StreamProbe.Stream(poisoned), "poison-1");
        await ClusterFixture.EventuallyAsync(() => Task.FromResult(StreamProbe.Of(poisoned).Count >= 1), "the poison item fails once");
        var latencies = await Task.WhenAll(neighbours.Append(poisoned).Select(async key =>
        {
            var appended = Stopwatch.GetTimestamp();
            await Streams.AppendAsync(StreamProbe.Stream(key), "healthy");
            await ClusterFixture.EventuallyAsync(() => Task.FromResult(StreamProbe.Of(key).Any(d => d.Item == "healthy")), $"the healthy item of {key} arrives");
            return Stopwatch.GetElapsedTime(appended, StreamProbe.Of(key).First(d => d.Item == "healthy").At);
        }));
        await ClusterFixture.EventuallyAsync(async () => await RowsAsync("stream_dead_letters", poisoned) == 1, "the poison item is dead-lettered");

        Assert.All(latencies, latency => Assert.True(latency < TimeSpan.FromSeconds(1), $"a healthy item took {latency.TotalMilliseconds:F0} ms"));
        Assert.Equal([1, 2, 3], StreamProbe.Of(poisoned).Where(d => d.Item == "poison-1").Select(d => d.Attempt));
        var (attempts, reason) = await DeadLetterAsync(poisoned);
        Assert.Equal(3, attempts);
        Assert.Equal("System.InvalidOperationException: The probe refuses poison-1.", reason);
        Assert.Equal(0, await RowsAsync("stream_queue", poisoned));
        Assert.Contains(await StreamDeadLetters.ListAsync(fixture.ConnectionString),
            queue => queue.Reasons.Any(r => r.Reason == reason));
    }

    [Fact]
    public async Task ARowLeasedByASiloThatDiedIsDeliveredWhenItsLeaseRunsOut()
    {
        var key = NewKey();
        var leaseEnds = TimeSpan.FromSeconds(1.5);

        // The row as a puller leaves it when its silo dies after the lease: attempt 1 taken, hidden for a while.
        var leased = Stopwatch.GetTimestamp();
        await using (var connection = new NpgsqlConnection(fixture.ConnectionString))
        {
            await connection.OpenAsync();
            await using var tx = await connection.BeginTransactionAsync();
            await using var batch = new NpgsqlBatch(connection, tx);
            batch.BatchCommands.Add(Silo.GetRequiredService<IStreamRows>().Enqueue(StreamProbe.Stream(key), "leased"));
            batch.BatchCommands.Add(new NpgsqlBatchCommand("update stream_queue set attempts = 1, visible_at = now() + $1 where stream_key = $2")
            {
                Parameters = { new() { Value = leaseEnds }, new() { Value = key } },
            });
            await batch.ExecuteNonQueryAsync();
            await tx.CommitAsync();
        }
        await ClusterFixture.EventuallyAsync(() => Task.FromResult(StreamProbe.Of(key).Count > 0), "the leased item arrives");

        var delivery = Assert.Single(StreamProbe.Of(key));
        Assert.Equal(("leased", 2), (delivery.Item, delivery.Attempt));
        Assert.True(Stopwatch.GetElapsedTime(leased, delivery.At) >= leaseEnds, "delivered only after the lease ran out");
        await ClusterFixture.EventuallyAsync(async () => await RowsAsync("stream_queue", key) == 0, "the delivered row is deleted");
    }

    [Fact]
    public async Task ARowThatCommitsAfterRowsWithHigherIdsIsStillDelivered()
    {
        var key = NewKey();

        // Two writers: the first takes its id, the second takes a higher one and commits first; the puller has taken
        // the second and moved past it by the time the first commits.
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using (var batch = new NpgsqlBatch(connection, tx))
        {
            batch.BatchCommands.Add(Silo.GetRequiredService<IStreamRows>().Enqueue(StreamProbe.Stream(key), "committed-late"));
            await batch.ExecuteNonQueryAsync();
        }
        await Streams.AppendAsync(StreamProbe.Stream(key), "committed-first");
        await ClusterFixture.EventuallyAsync(() => Task.FromResult(StreamProbe.Of(key).Count == 1), "the row committed first arrives");
        await ClusterFixture.EventuallyAsync(async () => await RowsAsync("stream_queue", key) == 0, "the puller has taken and deleted it");
        await tx.CommitAsync();

        await ClusterFixture.EventuallyAsync(() => Task.FromResult(StreamProbe.Of(key).Count == 2), "the row committed late arrives");
        Assert.Equal(["committed-first", "committed-late"], StreamProbe.Of(key).Select(d => d.Item));
    }

    [Fact]
    public async Task AQueueHandedToAnotherSiloGivesBackWhatItLeasedButNotWhatFailed()
    {
        // A provider no agent pulls, so this receiver is the queue's only puller.
        var provider = $"handover-{Guid.NewGuid():N}";
        var queues = new HashRingBasedStreamQueueMapper(new HashRingStreamQueueMapperOptions { TotalQueueCount = 1 }, provider);
        var rows = Silo.GetRequiredService<PostgresStreamQueue>();
        var options = new CrmStreamOptions { FirstRetryDelay = TimeSpan.FromMinutes(1), MaxRetryDelay = TimeSpan.FromMinutes(1) };
        var (failing, unfinished) = (NewKey(), NewKey());
        foreach (var key in new[] { failing, unfinished })
            await rows.ExecuteAsync(Silo.GetRequiredService<StreamQueueRows>().Insert(provider, queues, StreamProbe.Stream(key), ["item"], null), CancellationToken.None);
        var receiver = new PostgresQueueReceiver(provider, queues.GetAllQueues().Single(), rows,
            Silo.GetRequiredService<Orleans.Serialization.Serializer<CrmBatchContainer>>(), options, NullLogger<PostgresQueueReceiver>.Instance);
        var failures = new PostgresStreamFailureHandler(rows, options, NullLogger<PostgresStreamFailureHandler>.Instance);

        var leased = await receiver.GetQueueMessagesAsync(32, CancellationToken.None);
        var token = (CrmStreamToken)leased.Single(b => b.StreamId.GetKeyAsString() == failing).SequenceToken;
        token.DeliveryError = "System.TimeoutException: too slow";
        await failures.OnDeliveryFailure(GuidId.GetNewGuidId(), provider, StreamProbe.Stream(failing), token);
        await receiver.Shutdown(TimeSpan.FromSeconds(10));

        Assert.Equal(2, leased.Count);
        Assert.Equal((0L, 1L), await StateAsync(unfinished));
        Assert.Equal((1L, 0L), await StateAsync(failing));
        Assert.Equal(1, await fixture.CountAsync("select count(*) from stream_queue where stream_key = $1 and last_error = 'System.TimeoutException: too slow'", failing));
    }

    [Fact]
    public async Task AQueuesPullerDeletesItsDeadLettersOnceTheirRetentionIsOver()
    {
        // A provider no agent pulls, so this receiver is the queue's only puller.
        var provider = $"purge-{Guid.NewGuid():N}";
        var queues = new HashRingBasedStreamQueueMapper(new HashRingStreamQueueMapperOptions { TotalQueueCount = 1 }, provider);
        var queue = (int)queues.GetAllQueues().Single().GetNumericId();
        foreach (var (key, age) in new[] { ("expired", "31 days"), ("kept", "29 days") })
            await fixture.CountAsync($"""
                insert into stream_dead_letters (id, provider, queue, stream_namespace, stream_key, tenant_id, subject, payload,
                                                 attempts, visible_at, created_at, reason, dead_at)
                values (nextval(pg_get_serial_sequence('stream_queue', 'id')), $1, $2, 'probe', $3, 't', $3, '\x00',
                        10, now(), now(), 'a poison', now() - interval '{age}')
                returning 1
                """, provider, queue, key);
        var receiver = new PostgresQueueReceiver(provider, queues.GetAllQueues().Single(), Silo.GetRequiredService<PostgresStreamQueue>(),
            Silo.GetRequiredService<Orleans.Serialization.Serializer<CrmBatchContainer>>(), new CrmStreamOptions { DeadLetterRetention = TimeSpan.FromDays(30) },
            NullLogger<PostgresQueueReceiver>.Instance);

        await receiver.GetQueueMessagesAsync(32, CancellationToken.None);

        Assert.Equal(0, await RowsAsync("stream_dead_letters", "expired"));
        Assert.Equal(1, await RowsAsync("stream_dead_letters", "kept"));
    }

    /// <summary>The row's attempts, and 1 if it is visible now.</summary>
    private async Task<(long Attempts, long Visible)> StateAsync(string key) =>
        (await fixture.CountAsync("select attempts from stream_queue where stream_key = $1", key),
         await fixture.CountAsync("select count(*) from stream_queue where stream_key = $1 and visible_at <= now()", key));

    private static string NewKey() => $"{Fresh.Tenant()}/probe";

    /// <summary>Fresh stream keys that the provider's mapper puts in the same queue as <paramref name="key"/>.</summary>
    private List<string> KeysInTheQueueOf(string key, int count)
    {
        var queues = Silo.GetRequiredKeyedService<IQueueAdapterFactory>(StreamNames.Provider).GetStreamQueueMapper();
        var queue = queues.GetQueueForStream(StreamProbe.Stream(key));
        return [.. Enumerable.Range(0, 1000).Select(_ => NewKey()).Where(k => queues.GetQueueForStream(StreamProbe.Stream(k)).Equals(queue)).Take(count)];
    }

    private Task<long> RowsAsync(string table, string key) =>
        fixture.CountAsync($"select count(*) from {table} where stream_key = $1", key);

    private async Task<(int Attempts, string Reason)> DeadLetterAsync(string key)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select attempts, reason from stream_dead_letters where stream_key = $1", connection)
        {
            Parameters = { new() { Value = key } },
        };
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt32(0), reader.GetString(1));
    }
}
