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

    /// <summary>
    /// Takes or renews the right to poll for <paramref name="lease"/>: true while <paramref name="node"/> holds it.
    /// Telegram answers a second concurrent getUpdates of one bot with 409, so in a cluster one node polls and the
    /// others stand by until its lease runs out (the node died or stopped).
    /// </summary>
    Task<bool> HoldAsync(string node, TimeSpan lease);
}
