namespace Crm.Grains;

/// <summary>
/// One contact value of a tenant (key <c>{tenant}/{type}/{normalized value}</c>): routes the messages sent from it to
/// the owning client's chat. The owner is the value's row in the contacts table; the client that claims or frees the
/// value writes that row and calls no contact grain, so this grain holds no state of its own, only the owner it read.
/// </summary>
/// <remarks>
/// Calls run one way from here: to the chat (<see cref="IChatGrain.ReceiveAsync"/>) and to the client
/// (<see cref="IClientGrain.AdoptAsync"/>, <see cref="IClientGrain.SetConsentAsync"/>); neither calls a contact grain.
/// </remarks>
public interface IContactGrain : IGrainWithStringKey
{
    /// <summary>The owning client id as the contacts table names it now, or null.</summary>
    Task<string?> GetOwnerAsync();

    /// <summary>
    /// Routes a message the contact sent to its client's chat, creating the client first when nobody owns the value
    /// (first name from the provider profile, else the contact value). A chat whose client freed the value refuses the
    /// message; the owner is then read again and the message routed to the new one (or a new client). STOP and START
    /// on SMS and WhatsApp set the client's consent once the message is stored.
    /// </summary>
    Task<Result<ChatMessage>> ReceiveAsync(InboundMessage message);

    /// <summary>
    /// <see cref="ReceiveAsync"/> for a message taken from its stream queue's <paramref name="row"/>. Where nobody owns
    /// the value, the message makes a client only if its row is still queued: a row gone while its item was being
    /// delivered was deleted by the erasure of the client that owned the value, and the message goes with it (NotFound).
    /// </summary>
    Task<Result<ChatMessage>> ReceiveQueuedAsync(InboundMessage message, QueuedRow row);
}
