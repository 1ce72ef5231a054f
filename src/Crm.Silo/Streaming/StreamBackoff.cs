using Orleans.Runtime.Providers;

namespace Crm.Silo;

/// <summary>The pulling agents' waits between tries: deliveries are not tried again (see <see cref="CrmStreams"/>), reads soon.</summary>
internal sealed class StreamBackoff(Func<int, TimeSpan> next) : IMessageDeliveryBackoffProvider, IQueueReaderBackoffProvider
{
    /// <summary>How long a failed delivery holds its stream before the failure handler takes the item aside.</summary>
    public static readonly TimeSpan DeliveryPause = TimeSpan.FromMilliseconds(100);

    public static readonly StreamBackoff Delivery = new(_ => DeliveryPause);

    /// <summary>A failed lease (PostgreSQL unreachable) is tried again after 1 s, doubling to 10 s; Orleans' default is 10-20 s.</summary>
    public static readonly StreamBackoff Reader = new(attempt => TimeSpan.FromSeconds(Math.Min(10, Math.Pow(2, Math.Min(attempt, 4)))));

    public TimeSpan Next(int attempt) => next(attempt);
}
