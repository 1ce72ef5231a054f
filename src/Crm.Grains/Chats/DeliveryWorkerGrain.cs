using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace Crm.Grains;

/// <summary>
/// The provider calls of the chats, outside their turns. A stateless worker is activated on the silo of the chat that
/// calls it, so a silo that dies takes its chats' in-flight attempts with it and their chats, reactivated elsewhere,
/// find them marked in flight. It is reentrant: a provider that hangs holds up only its own message, and every
/// attempt is bounded by <see cref="SendTimeout"/> even when the adapter ignores its cancellation token.
/// </summary>
[StatelessWorker(1), Reentrant]
[GrainType("delivery")]
internal sealed partial class DeliveryWorkerGrain(IChannelSender sender, ILogger<DeliveryWorkerGrain> logger) : Grain, IDeliveryWorkerGrain
{
    public static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan ReportPause = TimeSpan.FromSeconds(2);
    private const int ReportTries = 5;

    public async Task DeliverAsync(OutboundEnvelope envelope)
    {
        var outcome = await SendAsync(envelope);
        var chat = GrainFactory.GetGrain<IChatGrain>(Ids.Key(envelope.TenantId, envelope.ClientId));
        // The chat waits for this report until its deadline (well past these tries); a report it never gets leaves the
        // message marked failed ("interrupted"), the same as a crash during the call.
        for (var attempt = 1; attempt <= ReportTries; attempt++)
        {
            try
            {
                await chat.ReportDeliveryAsync(envelope.Seq, envelope.Attempt, outcome);
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogReportFailed(logger, e, envelope.MessageId, attempt);
                if (attempt < ReportTries)
                    await Task.Delay(ReportPause);
            }
        }
    }

    private async Task<SendOutcome> SendAsync(OutboundEnvelope envelope)
    {
        using var timeout = new CancellationTokenSource(SendTimeout);
        try
        {
            return await sender.SendAsync(envelope, timeout.Token).WaitAsync(SendTimeout);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return SendOutcome.Retry("adapter_error", e.GetType().Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The outcome of message {MessageId} could not be reported to its chat (try {Try} of 5)")]
    private static partial void LogReportFailed(ILogger logger, Exception exception, string messageId, int @try);
}
