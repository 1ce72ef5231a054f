namespace Crm.Grains;

/// <summary>A client of a tenant (key <c>{tenant}/{clientId}</c>): profile, contacts and consent.</summary>
public interface IClientGrain : IGrainWithStringKey
{
    /// <summary>Creates the client with its inline contacts; every contact value is claimed or none is.</summary>
    Task<Result<ClientProfile>> CreateAsync(ClientFields fields, IReadOnlyList<ContactDraft> contacts, Actor actor);

    /// <summary>Creates a client for a contact value its contact grain has already claimed for it.</summary>
    Task<Result<ClientProfile>> AdoptAsync(ClientFields fields, ContactDraft claimedContact, Actor actor);

    /// <summary>The profile, including a soft-deleted one; null if the client does not exist.</summary>
    Task<ClientProfile?> GetAsync();

    /// <summary>Changes the given fields (merge patch semantics).</summary>
    Task<Result<ClientProfile>> UpdateAsync(ClientFields fields, Actor actor);

    Task<Result<ClientProfile>> DeleteAsync(Actor actor);

    Task<Result<ClientProfile>> RestoreAsync(Actor actor);

    /// <summary>Adds a contact; Conflict when another client of the tenant owns the value.</summary>
    Task<Result<Contact>> AddContactAsync(ContactDraft contact, Actor actor);

    Task<Result<ClientProfile>> RemoveContactAsync(string contactId, Actor actor);

    Task<Result<ClientProfile>> SetConsentAsync(Transport transport, bool optedIn, string source, Actor actor);
}
