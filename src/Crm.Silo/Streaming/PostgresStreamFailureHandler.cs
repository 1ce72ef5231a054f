using Microsoft.Extensions.Logging;
using Orleans.Streams;

namespace Crm.Silo;

/// <summary>
/// A delivery failed (the subscriber threw, or did not answer): the row alone is offered again after a backoff, or
/// dead-lettered with the reason once it has had its attempts. The pulling agent goes on with the stream's next item
/// and with every other stream meanwhile: its own retries are off (<see cref="CrmStreams"/>), so one poison item
/// holds nothing behind it.
/// </summary>
internal sealed partial class PostgresStreamFailureHandler(
    PostgresStreamQueue rows,
    CrmStreamOptions options,
    ILogger<PostgresStreamFailureHandler> logger) : IStreamFailureHandler
{
    /// <summary>Never: an explicit subscriber (an external service) keeps its subscription; the item is retried for it.</summary>
    public bool ShouldFaultSubsriptionOnError => false;

    public async Task OnDeliveryFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken)
    {
        if (sequenceToken is not CrmStreamToken token)
        {
            LogUnknownToken(logger, streamProviderName, streamIdentity, sequenceToken);
            return;
        }
        var error = token.DeliveryError ?? "The subscriber failed; the delivering silo saw no exception";
        try
        {
            if (token.Attempt >= options.MaxAttempts)
            {
                await rows.BuryAsync(streamProviderName, token.Queue, token.RowId, token.Attempt, error, error);
                CrmMetrics.StreamDeadLetters.Add(1, new KeyValuePair<string, object?>("provider", streamProviderName));
                LogBuried(logger, token.RowId, streamProviderName, streamIdentity, token.Attempt, error);
            }
            else
            {
                var delay = options.RetryDelay(token.Attempt);
                await rows.RetryLaterAsync(streamProviderName, token.Queue, token.RowId, token.Attempt, delay, error);
                CrmMetrics.StreamRetries.Add(1, new KeyValuePair<string, object?>("provider", streamProviderName));
                LogRetry(logger, token.RowId, streamProviderName, streamIdentity, token.Attempt, delay, error);
            }
        }
        catch (Exception e)
        {
            // The row comes back when its lease ends, and this attempt counts.
            LogNotRecorded(logger, token.RowId, streamProviderName, e);
        }
    }

    /// <summary>The agent could not start delivering to a subscriber (its handshake failed); the items stay in the cache for it.</summary>
    public Task OnSubscriptionFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken)
    {
        LogSubscriptionFailed(logger, subscriptionId, streamProviderName, streamIdentity);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream row {RowId} ({Provider} {Stream}) failed delivery {Attempt}; next attempt in {Delay}: {Error}")]
    private static partial void LogRetry(ILogger logger, long rowId, string provider, StreamId stream, int attempt, TimeSpan delay, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stream row {RowId} ({Provider} {Stream}) failed all {Attempt} deliveries and went to the dead letters: {Error}")]
    private static partial void LogBuried(ILogger logger, long rowId, string provider, StreamId stream, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "The failed delivery of stream row {RowId} ({Provider}) was not recorded; it returns when its lease ends")]
    private static partial void LogNotRecorded(ILogger logger, long rowId, string provider, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A delivery on {Provider} {Stream} failed with a token of another provider ({Token})")]
    private static partial void LogUnknownToken(ILogger logger, string provider, StreamId stream, StreamSequenceToken? token);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscription {SubscriptionId} of {Provider} {Stream} could not be started")]
    private static partial void LogSubscriptionFailed(ILogger logger, GuidId subscriptionId, string provider, StreamId stream);
}
