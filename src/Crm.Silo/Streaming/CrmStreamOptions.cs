using Microsoft.Extensions.Configuration;

namespace Crm.Silo;

/// <summary>
/// How the durable streams pull, retry and give up (section <c>Crm:Streams</c>); the number of queues is
/// <see cref="CrmOptions.StreamPartitions"/>. Silos and clients must agree on the partitions; the rest is silo-side.
/// </summary>
public sealed class CrmStreamOptions
{
    public const string SectionName = "Crm:Streams";

    /// <summary>Deliveries of one item before it goes to the dead letters (a delivery that never reported back counts too).</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>The wait before the second attempt; it doubles with each attempt up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>With the defaults the ten attempts span about 6 minutes (1, 2, 4 ... 64 s, then 2 minutes).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a leased row stays hidden: after this, a row whose silo died is pulled again. Each poll leases at most
    /// 10 batches ahead of delivery (the cache), which a contact grain clears in a few seconds.
    /// </summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often an idle queue is asked for rows; a busy queue is read again at once until it is empty.</summary>
    public TimeSpan PollPeriod { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Rows leased per statement; the cache holds ten batches per queue before the puller waits for delivery.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>
    /// How long a dead letter is kept for an operator to look at and replay (<c>./crm dead-letters</c>); its payload is
    /// the message or event, personal data included, so it does not stay for ever.
    /// </summary>
    public TimeSpan DeadLetterRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>The wait before the attempt after <paramref name="attempts"/> failed ones.</summary>
    public TimeSpan RetryDelay(int attempts)
    {
        var delay = FirstRetryDelay * Math.Pow(2, Math.Clamp(attempts - 1, 0, 30));
        return delay < MaxRetryDelay ? delay : MaxRetryDelay;
    }

    public static CrmStreamOptions From(IConfiguration configuration)
    {
        var options = configuration.GetSection(SectionName).Get<CrmStreamOptions>() ?? new CrmStreamOptions();
        if (options.MaxAttempts < 1 || options.BatchSize < 1 || options.FirstRetryDelay <= TimeSpan.Zero
            || options.MaxRetryDelay < options.FirstRetryDelay || options.VisibilityTimeout <= TimeSpan.Zero || options.PollPeriod <= TimeSpan.Zero
            || options.DeadLetterRetention <= TimeSpan.Zero)
            throw new InvalidOperationException($"{SectionName} needs MaxAttempts and BatchSize of at least 1 and positive delays (MaxRetryDelay at least FirstRetryDelay, DeadLetterRetention above zero).");
        return options;
    }
}
