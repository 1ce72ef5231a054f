using Orleans.Concurrency;

namespace Crm.Grains;

/// <summary>Calls providers for the chats of its silo: a chat hands a message over and carries on; the worker reports the outcome back.</summary>
public interface IDeliveryWorkerGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Sends one attempt of a message and reports its outcome to the message's chat
    /// (<see cref="IChatGrain.ReportDeliveryAsync"/>). One way: the caller never waits for the provider.
    /// </summary>
    [OneWay]
    Task DeliverAsync(OutboundEnvelope envelope);
}
