namespace Crm.Grains;

/// <summary>A client of a tenant (key <c>{tenant}/{clientId}</c>): profile, contacts and consent.</summary>
/// <remarks>
/// Called by the API and by contact grains (<see cref="AdoptAsync"/>, <see cref="SetConsentAsync"/> for STOP/START);
/// it calls only its chat (<see cref="IChatGrain.ClientChangedAsync"/>, <see cref="IChatGrain.EraseAsync"/>), so no
/// call can come back to it while it waits.
/// </remarks>
public interface IClientGrain : IGrainWithStringKey
{
    /// <summary>Creates the client with its inline contacts; every contact value is claimed or none is.</summary>
    Task<Result<ClientProfile>> CreateAsync(ClientFields fields, IReadOnlyList<ContactDraft> contacts, Actor actor);

    /// <summary>
    /// Creates the client first met through a message from a contact value, claiming the value in the same commit
    /// (invalid fields fall back to the value as first name). Conflict, with nothing written, when another client
    /// owns the value; Ok when this client already holds it.
    /// </summary>
    Task<Result<ClientProfile>> AdoptAsync(ClientFields fields, ContactDraft contact, Actor actor);

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

    /// <summary>
    /// GDPR erasure of a live or soft-deleted client: frees its contact values, erases its chat and deletes its row,
    /// leaving one <c>client.erased</c> audit record without personal data.
    /// NotFound when there is no such client (also for a second erasure).
    /// </summary>
    Task<Result<ClientErasure>> EraseAsync(Actor actor);
}

/// <summary>What an erasure removed, as counts only.</summary>
[GenerateSerializer, Immutable]
public sealed record ClientErasure
{
    [Id(0)] public string ClientId { get; init; } = "";
    [Id(1)] public int Contacts { get; init; }
    [Id(2)] public long Messages { get; init; }
    [Id(3)] public long Attachments { get; init; }
}
