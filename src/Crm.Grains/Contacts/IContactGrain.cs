namespace Crm.Grains;

/// <summary>
/// One contact value of a tenant (key <c>{tenant}/{type}/{normalized value}</c>): routes the messages sent from it to
/// the owning client's chat. The owner is the value's row in the contacts table, read on activation; the client that
/// claims the value writes that row, so this grain holds no state of its own.
/// </summary>
public interface IContactGrain : IGrainWithStringKey
{
    /// <summary>
    /// Tells the grain that the client no longer owns the value (the client's commit has deleted its row), so the next
    /// message goes by the table. It waits for the message being routed, if any.
    /// </summary>
    Task ReleaseAsync(string clientId);

    /// <summary>The owning client id, or null.</summary>
    Task<string?> GetOwnerAsync();

    /// <summary>
    /// Routes a message the contact sent to its client's chat, creating the client first when nobody
    /// owns the value (first name from the provider profile, else the contact value).
    /// </summary>
    Task<Result<ChatMessage>> ReceiveAsync(InboundMessage message);
}
