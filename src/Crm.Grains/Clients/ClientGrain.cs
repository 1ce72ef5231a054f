using System.Text.Json;

namespace Crm.Grains;

[GrainType("client")]
internal sealed class ClientGrain(
    [PersistentState("client", StorageNames.Crm)] IPersistentState<ClientState> state,
    IClientIndex index,
    IAuditLog audit,
    IStreamAppender streams,
    TimeProvider clock) : Grain, IClientGrain
{
    private string TenantId => Ids.Split(this.GetPrimaryKeyString()).TenantId;
    private string ClientId => Ids.Split(this.GetPrimaryKeyString()).Id;
    private ClientProfile? Profile => state.State.Profile;

    public async Task<Result<ClientProfile>> CreateAsync(ClientFields fields, IReadOnlyList<ContactDraft> contacts, Actor actor)
    {
        if (Profile is not null)
            return Result<ClientProfile>.Conflict("The client already exists.");
        var now = clock.Now();
        var errors = new Errors();
        ClientRules.RequireFirstName(fields, errors);
        var profile = ClientRules.Apply(new ClientProfile { Id = ClientId, CreatedAt = now, UpdatedAt = now }, fields, errors);
        var drafts = ClientRules.NormalizeContacts(contacts, errors);
        if (profile is null || errors.Any)
            return errors.ToResult<ClientProfile>();

        var claimed = new List<Contact>();
        foreach (var draft in drafts)
        {
            if (!await ClaimAsync(draft))
            {
                await ReleaseAsync(claimed);
                return Result<ClientProfile>.Conflict($"The {EnumText.Of(draft.Type)} contact '{draft.Value}' belongs to another client.");
            }
            claimed.Add(new Contact { Id = Ids.New("ct"), Type = draft.Type, Value = draft.Value, CreatedAt = now, UpdatedAt = now });
        }
        profile = profile with { Contacts = claimed };

        await SaveAsync(profile, actor, "client.created");
        return Result<ClientProfile>.Ok(profile);
    }

    public async Task<Result<ClientProfile>> AdoptAsync(ClientFields fields, ContactDraft claimedContact, Actor actor)
    {
        if (Profile is not null)
            return Result<ClientProfile>.Ok(Profile);
        var now = clock.Now();
        var errors = new Errors();
        var profile = ClientRules.Apply(new ClientProfile { Id = ClientId, CreatedAt = now, UpdatedAt = now }, fields, errors)
            ?? new ClientProfile { Id = ClientId, FirstName = claimedContact.Value, CreatedAt = now, UpdatedAt = now };
        var contact = new Contact { Id = Ids.New("ct"), Type = claimedContact.Type, Value = claimedContact.Value, CreatedAt = now, UpdatedAt = now };

        await SaveAsync(profile with { Contacts = [contact] }, actor, "client.created");
        return Result<ClientProfile>.Ok(state.State.Profile!);
    }

    public Task<ClientProfile?> GetAsync() => Task.FromResult(Profile);

    public async Task<Result<ClientProfile>> UpdateAsync(ClientFields fields, Actor actor)
    {
        if (Live() is { } problem)
            return problem;
        var errors = new Errors();
        var next = ClientRules.Apply(Profile!, fields, errors);
        if (next is null)
            return errors.ToResult<ClientProfile>();

        next = next with { UpdatedAt = clock.Now() };
        await SaveAsync(next, actor, "client.updated", JsonSerializer.Serialize(fields.Values.Keys));
        return Result<ClientProfile>.Ok(next);
    }

    public async Task<Result<ClientProfile>> DeleteAsync(Actor actor)
    {
        if (Live() is { } problem)
            return problem;
        var now = clock.Now();
        var next = Profile! with { DeletedAt = now, UpdatedAt = now };
        await SaveAsync(next, actor, "client.deleted");
        return Result<ClientProfile>.Ok(next);
    }

    public async Task<Result<ClientProfile>> RestoreAsync(Actor actor)
    {
        if (Profile is null)
            return Result<ClientProfile>.NotFound();
        if (Profile.DeletedAt is null)
            return Result<ClientProfile>.Ok(Profile);
        var next = Profile with { DeletedAt = null, UpdatedAt = clock.Now() };
        await SaveAsync(next, actor, "client.restored");
        return Result<ClientProfile>.Ok(next);
    }

    public async Task<Result<Contact>> AddContactAsync(ContactDraft draft, Actor actor)
    {
        if (Live() is { } problem)
            return problem.As<Contact>();
        var errors = new Errors();
        var normalized = ClientRules.NormalizeContacts([draft], errors, "value");
        if (errors.Any)
            return Result<Contact>.Invalid(errors.ToDictionary().ToDictionary(e => "value", e => e.Value));
        var value = normalized[0];
        if (Profile!.Contacts.FirstOrDefault(c => c.Type == value.Type && c.Value == value.Value) is { } existing)
            return Result<Contact>.Ok(existing);
        if (Profile.Contacts.Count >= ClientRules.MaxContacts)
            return Result<Contact>.Invalid("value", $"A client has at most {ClientRules.MaxContacts} contacts.");
        if (!await ClaimAsync(value))
            return Result<Contact>.Conflict($"The {EnumText.Of(value.Type)} contact '{value.Value}' belongs to another client.");

        var now = clock.Now();
        var contact = new Contact { Id = Ids.New("ct"), Type = value.Type, Value = value.Value, CreatedAt = now, UpdatedAt = now };
        await SaveAsync(Profile with { Contacts = [.. Profile.Contacts, contact], UpdatedAt = now }, actor, "client.contact_added", JsonSerializer.Serialize(new { contactId = contact.Id, type = EnumText.Of(contact.Type) }));
        return Result<Contact>.Ok(contact);
    }

    public async Task<Result<ClientProfile>> RemoveContactAsync(string contactId, Actor actor)
    {
        if (Live() is { } problem)
            return problem;
        var contact = Profile!.Contacts.FirstOrDefault(c => c.Id == contactId);
        if (contact is null)
            return Result<ClientProfile>.NotFound("No such contact on this client.");

        var next = Profile with { Contacts = Profile.Contacts.Where(c => c.Id != contactId).ToList(), UpdatedAt = clock.Now() };
        await SaveAsync(next, actor, "client.contact_removed", JsonSerializer.Serialize(new { contactId }));
        await ReleaseAsync([contact]);
        return Result<ClientProfile>.Ok(next);
    }

    public async Task<Result<ClientProfile>> SetConsentAsync(Transport transport, bool optedIn, string source, Actor actor)
    {
        if (Live() is { } problem)
            return problem;
        var now = clock.Now();
        var consent = new Dictionary<Transport, ConsentRecord>(Profile!.Consent)
        {
            [transport] = new ConsentRecord { OptedIn = optedIn, Source = source, At = now, ByUserId = actor.UserId },
        };
        var next = Profile with { Consent = consent, UpdatedAt = now };
        await SaveAsync(next, actor, "client.consent_changed", JsonSerializer.Serialize(new { transport = EnumText.Of(transport), optedIn, source }));
        return Result<ClientProfile>.Ok(next);
    }

    public async Task<Result<ClientErasure>> EraseAsync(Actor actor)
    {
        if (Profile is null)
            return Result<ClientErasure>.NotFound();

        // Contacts first, so no new inbound message reaches this client; the state goes last, so an
        // interrupted erasure is finished by calling it again.
        await ReleaseAsync(Profile.Contacts);
        var chat = await GrainFactory.GetGrain<IChatGrain>(this.GetPrimaryKeyString()).EraseAsync();
        // What the streams still hold: undelivered or dead-lettered events about the client and messages from its contacts.
        await streams.EraseAsync(TenantId, [ClientId, .. Profile.Contacts.Select(c => ContactRules.GrainKey(TenantId, c.Type, c.Value))]);
        await index.RemoveAsync(TenantId, ClientId);
        var erased = new ClientErasure { ClientId = ClientId, Contacts = Profile.Contacts.Count, Messages = chat.Messages, Attachments = chat.Attachments };
        await audit.AppendAsync(AuditEvent.Of(actor, clock.Now(), "client.erased", "client", ClientId, ClientId,
            JsonSerializer.Serialize(new { contacts = erased.Contacts, messages = erased.Messages, attachments = erased.Attachments })));
        await state.ClearStateAsync();
        DeactivateOnIdle();
        return Result<ClientErasure>.Ok(erased);
    }

    private Result<ClientProfile>? Live() => Profile switch
    {
        null => Result<ClientProfile>.NotFound(),
        { DeletedAt: not null } => Result<ClientProfile>.Conflict("The client is deleted; restore it first."),
        _ => null,
    };

    private async Task SaveAsync(ClientProfile profile, Actor actor, string action, string? data = null)
    {
        state.State.Profile = profile;
        await state.WriteStateAsync();
        // The search row and the audit record share a group commit; both follow the state they describe.
        await Task.WhenAll(
            index.UpsertAsync(TenantId, profile),
            audit.AppendAsync(AuditEvent.Of(actor, profile.UpdatedAt, action, "client", ClientId, ClientId, data)));
    }

    private async Task<bool> ClaimAsync(ContactDraft contact)
    {
        var grain = GrainFactory.GetGrain<IContactGrain>(ContactRules.GrainKey(TenantId, contact.Type, contact.Value));
        return await grain.ClaimAsync(ClientId) == ClientId;
    }

    private async Task ReleaseAsync(IEnumerable<Contact> contacts)
    {
        foreach (var contact in contacts)
            await GrainFactory.GetGrain<IContactGrain>(ContactRules.GrainKey(TenantId, contact.Type, contact.Value)).ReleaseAsync(ClientId);
    }
}
