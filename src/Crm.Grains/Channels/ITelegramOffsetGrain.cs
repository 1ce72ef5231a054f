namespace Crm.Grains;

/// <summary>
/// The long-polling position of one tenant's Telegram bot (key <c>{tenant}/{bot id}</c>): the next update id
/// to ask <c>getUpdates</c> for. It advances only after an update was accepted, so a restart asks again for
/// anything not yet durable (duplicates are dropped by message identity).
/// </summary>
public interface ITelegramOffsetGrain : IGrainWithStringKey
{
    /// <summary>The offset to poll from; 0 before the first update.</summary>
    Task<long> GetAsync();

    /// <summary>Moves the offset forward to <paramref name="next"/>; a smaller value changes nothing.</summary>
    Task AdvanceAsync(long next);
}
