using Crm.Grains;

namespace Crm.Silo;

/// <summary>
/// Inbound messages go into the durable <c>inbound</c> stream, keyed by the contact they came from;
/// the enqueue has committed when this returns, so the webhook may acknowledge. Status reports are
/// applied to their chat directly, which stores them before returning.
/// </summary>
internal sealed class StreamInboundGateway(IStreamAppender streams, IGrainFactory grains) : IInboundGateway
{
    public async Task AcceptMessageAsync(InboundMessage message)
    {
        var key = ContactRules.GrainKey(message.TenantId, message.ContactType, message.ContactValue);
        await streams.AppendAsync(StreamId.Create(StreamNames.Inbound, key), message);
        CrmMetrics.MessagesIn.Add(1, new KeyValuePair<string, object?>("transport", message.Transport.ToString()));
    }

    public async Task AcceptStatusAsync(StatusReport report)
    {
        var location = await grains.GetGrain<ITenantQueryGrain>(report.TenantId)
            .LocateMessageAsync(report.MessageId, report.Transport, report.ProviderMessageId);
        if (location is not null)
            await grains.GetGrain<IChatGrain>(Ids.Key(report.TenantId, location.ClientId)).ApplyStatusAsync(location.Seq, report);
    }
}
