using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace Crm.Grains;

/// <summary>
/// A client, kept in memory as its rows hold it: read on activation, and changed only by a commit that writes the
/// client row, the contact rows the change claims or frees, and the audit record together. After a commit that moves
/// what its chat knows of it (<see cref="ClientFacts"/>) it tells the chat; it calls no contact grain.
/// </summary>
[GrainType("client")]
internal sealed partial class ClientGrain(IClientStore store, IStreamAppender streams, ILogger<ClientGrain> logger, TimeProvider clock)
    : Grain, IClientGrain
{
    private StoredClient? _stored;

    private string TenantId => Ids.Split(this.GetPrimaryKeyString()).TenantId;
    private string ClientId => Ids.Split(this.GetPrimaryKeyString()).Id;
    private ClientProfile? Profile => _stored?.Profile;

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        _stored = await store.ReadAsync(TenantId, ClientId);

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

        return await CreateRowAsync(profile with { Contacts = drafts.Select(d => NewContact(d, now)).ToList() }, actor);
    }

    public async Task<Result<ClientProfile>> AdoptAsync(ClientFields fields, ContactDraft contact, Actor actor)
    {
        if (Profile is not null)
            return Profile.Contacts.Any(c => c.Type == contact.Type && c.Value == contact.Value)
                ? Result<ClientProfile>.Ok(Profile)
                : Result<ClientProfile>.Conflict("The client already exists.");
        var now = clock.Now();
        var profile = ClientRules.Apply(new ClientProfile { Id = ClientId, CreatedAt = now, UpdatedAt = now }, fields, new Errors())
            ?? new ClientProfile { Id = ClientId, FirstName = contact.Value, CreatedAt = now, UpdatedAt = now };
        return await CreateRowAsync(profile with { Contacts = [NewContact(contact, now)] }, actor);
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

        return await ChangeAsync(next with { UpdatedAt = clock.Now() }, actor, "client.updated", JsonSerializer.Serialize(fields.Values.Keys));
    }

    public async Task<Result<ClientProfile>> DeleteAsync(Actor actor)
    {
        if (Live() is { } problem)
            return problem;
        var now = clock.Now();
        return await ChangeAsync(Profile! with { DeletedAt = now, UpdatedAt = now }, actor, "client.deleted");
    }

    public async Task<Result<ClientProfile>> RestoreAsync(Actor actor)
    {
        if (Profile is null)
            return Result<ClientProfile>.NotFound();
        if (Profile.DeletedAt is null)
            return Result<ClientProfile>.Ok(Profile);
        return await ChangeAsync(Profile with { DeletedAt = null, UpdatedAt = clock.Now() }, actor, "client.restored");
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

        var now = clock.Now();
        var contact = NewContact(value, now);
        var next = Profile with { Contacts = [.. Profile.Contacts, contact], UpdatedAt = now };
        var data = JsonSerializer.Serialize(new { contactId = contact.Id, type = EnumText.Of(contact.Type) });
        if (!await WriteAsync(next, actor, "client.contact_added", data, claimed: [contact]))
            return Result<Contact>.Conflict(await RefusedClaimAsync([contact]));
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
        return await ChangeAsync(next, actor, "client.contact_removed", JsonSerializer.Serialize(new { contactId }), released: [contact]);
    }

    public async Task<Result<ClientProfile>> SetConsentAsync(Transport transport, bool optedIn, string source, Actor actor)
    {
        if (Live() is { } problem)
            return problem;
        var now = clock.Now();
        var consent = ClientRules.OrderConsent(Profile!.Consent.Where(c => c.Key != transport)
            .Append(new(transport, new ConsentRecord { OptedIn = optedIn, Source = source, At = now, ByUserId = actor.UserId })));
        var data = JsonSerializer.Serialize(new { transport = EnumText.Of(transport), optedIn, source });
        return await ChangeAsync(Profile with { Consent = consent, UpdatedAt = now }, actor, "client.consent_changed", data);
    }

    public async Task<Result<ClientErasure>> EraseAsync(Actor actor)
    {
        if (Profile is null)
            return Result<ClientErasure>.NotFound();

        // The contact values go first, so the contacts table names no owner for them; the chat, erased next, refuses
        // every inbound message from the turn of its erasure on (a message it stored before goes with it), and the
        // contact grain that routed a refused one finds the value free. So no message stays behind in an erased chat.
        // The client row goes last, so an interrupted erasure is finished by calling it again.
        var contacts = Profile.Contacts;
        if (contacts.Count > 0)
        {
            await store.ReleaseContactsAsync(TenantId, ClientId);
            _stored = _stored! with { Profile = Profile with { Contacts = [] } };
        }
        // What the streams hold: undelivered or dead-lettered events about the client and messages from its contacts.
        // Before the chat's erasure, so that a message a puller had already taken (its row gone now) makes no new
        // client when the erased chat refuses it (IContactGrain.ReceiveQueuedAsync); after it too, for the events of
        // messages the chat stored meanwhile.
        string[] subjects = [ClientId, .. contacts.Select(c => ContactRules.GrainKey(TenantId, c.Type, c.Value))];
        await streams.EraseAsync(TenantId, subjects);
        var chat = await GrainFactory.GetGrain<IChatGrain>(this.GetPrimaryKeyString()).EraseAsync();
        await streams.EraseAsync(TenantId, subjects);
        var erased = new ClientErasure { ClientId = ClientId, Contacts = contacts.Count, Messages = chat.Messages, Attachments = chat.Attachments };
        await store.EraseAsync(TenantId, ClientId, AuditEvent.Of(actor, clock.Now(), "client.erased", "client", ClientId, ClientId,
            JsonSerializer.Serialize(new { contacts = erased.Contacts, messages = erased.Messages, attachments = erased.Attachments })));
        _stored = null;
        DeactivateOnIdle();
        return Result<ClientErasure>.Ok(erased);
    }

    private Result<ClientProfile>? Live() => Profile switch
    {
        null => Result<ClientProfile>.NotFound(),
        { DeletedAt: not null } => Result<ClientProfile>.Conflict("The client is deleted; restore it first."),
        _ => null,
    };

    private static Contact NewContact(ContactDraft draft, DateTimeOffset now) =>
        new() { Id = Ids.New("ct"), Type = draft.Type, Value = draft.Value, CreatedAt = now, UpdatedAt = now };

    private async Task<Result<ClientProfile>> CreateRowAsync(ClientProfile profile, Actor actor)
    {
        if (!await WriteAsync(profile, actor, "client.created", claimed: profile.Contacts))
            return Result<ClientProfile>.Conflict(await RefusedClaimAsync(profile.Contacts));
        return Result<ClientProfile>.Ok(profile);
    }

    /// <summary>A change that claims nothing: its row can only have moved on if another activation wrote it.</summary>
    private async Task<Result<ClientProfile>> ChangeAsync(ClientProfile next, Actor actor, string action, string? data = null, IReadOnlyList<Contact>? released = null)
    {
        if (!await WriteAsync(next, actor, action, data, released: released))
            throw Stale();
        return Result<ClientProfile>.Ok(next);
    }

    /// <summary>
    /// Writes the change in one commit and keeps it in memory once committed, then tells the chat if its facts moved
    /// (a creation is told to no chat: a chat that knows of no client reads the rows itself). False if nothing was written.
    /// </summary>
    private async Task<bool> WriteAsync(ClientProfile next, Actor actor, string action, string? data = null,
        IReadOnlyList<Contact>? claimed = null, IReadOnlyList<Contact>? released = null)
    {
        var version = (_stored?.Version ?? 0) + 1;
        var change = new ClientChange
        {
            TenantId = TenantId, Profile = next, Version = version, Claimed = claimed ?? [], Released = released ?? [],
            Audit = AuditEvent.Of(actor, next.UpdatedAt, action, "client", ClientId, ClientId, data),
        };
        bool written;
        try
        {
            written = await store.WriteAsync(change);
        }
        catch
        {
            // A commit whose answer was lost may have happened: the next activation reads what the row holds.
            DeactivateOnIdle();
            throw;
        }
        if (!written)
            return false;
        var before = _stored is null ? null : ClientFacts.Of(_stored.Profile, _stored.Version);
        _stored = new StoredClient(next, version);
        var facts = ClientFacts.Of(next, version);
        if (before is not null && !facts.SameAs(before))
            await TellChatAsync(facts);
        return true;
    }

    /// <summary>
    /// The commit stands whatever the chat answers: a push that fails is tried once more, then the caller hears of it
    /// (the chat's next activation reads the rows; an active chat keeps its older copy until then).
    /// </summary>
    private async Task TellChatAsync(ClientFacts facts)
    {
        var chat = GrainFactory.GetGrain<IChatGrain>(this.GetPrimaryKeyString());
        try
        {
            await chat.ClientChangedAsync(facts);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogPushRetried(logger, e, ClientId, facts.Version);
            try
            {
                await chat.ClientChangedAsync(facts);
            }
            catch (Exception again) when (again is not OutOfMemoryException)
            {
                LogPushFailed(logger, again, ClientId, facts.Version);
                throw;
            }
        }
    }

    /// <summary>Why a claiming change wrote nothing: the value another client owns, or, if none does now, a moved row.</summary>
    private async Task<string> RefusedClaimAsync(IReadOnlyList<Contact> claimed)
    {
        foreach (var contact in claimed)
        {
            if (await store.OwnerAsync(TenantId, contact.Type, contact.Value) is { } owner && owner != ClientId)
                return $"The {EnumText.Of(contact.Type)} contact '{contact.Value}' belongs to another client.";
        }
        DeactivateOnIdle();
        return "A contact belongs to another client.";
    }

    private InconsistentStateException Stale()
    {
        DeactivateOnIdle();
        return new InconsistentStateException($"The row of client {ClientId} moved on without this activation; it is read again.");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Client {ClientId} could not tell its chat of version {Version}; it tries once more")]
    private static partial void LogPushRetried(ILogger logger, Exception exception, string clientId, long version);

    [LoggerMessage(Level = LogLevel.Error, Message = "Client {ClientId} could not tell its chat of version {Version}; the change is committed, the chat keeps an older copy until it reads the rows again")]
    private static partial void LogPushFailed(ILogger logger, Exception exception, string clientId, long version);
}
