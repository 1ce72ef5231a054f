namespace Crm.Grains;

/// <summary>
/// One contact value of a tenant (key <c>{tenant}/{type}/{normalized value}</c>). It records which
/// client owns the value; being a single activation, it is the uniqueness guard under concurrency.
/// </summary>
public interface IContactGrain : IGrainWithStringKey
{
    /// <summary>Claims the value for the client; returns the owner afterwards (another client's id means conflict).</summary>
    Task<string> ClaimAsync(string clientId);

    /// <summary>Releases the value if the client owns it.</summary>
    Task ReleaseAsync(string clientId);

    /// <summary>The owning client id, or null.</summary>
    Task<string?> GetOwnerAsync();

    /// <summary>
    /// Routes a message the contact sent to its client's chat, creating the client first when nobody
    /// owns the value (first name from the provider profile, else the contact value).
    /// </summary>
    Task<Result<ChatMessage>> ReceiveAsync(InboundMessage message);
}
