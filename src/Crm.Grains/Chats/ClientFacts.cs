namespace Crm.Grains;

/// <summary>
/// What a chat knows of its client, and no more: enough to answer for a deleted client, refuse an opted-out transport,
/// find an address, and tell whether an inbound message comes from a contact the client holds. The client pushes it
/// after each change that moves it (<see cref="IChatGrain.ClientChangedAsync"/>); the chat reads it with its own rows.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ClientFacts
{
    /// <summary>The client row's version (<c>clients.version</c>): of two copies, the higher one is the newer.</summary>
    [Id(0)] public long Version { get; init; }
    [Id(1)] public DateTimeOffset? DeletedAt { get; init; }

    /// <summary>The transports the client opted out of.</summary>
    [Id(2)] public IReadOnlyList<Transport> OptedOut { get; init; } = [];

    /// <summary>The contact values the client holds, in the order they were added.</summary>
    [Id(3)] public IReadOnlyList<ContactPoint> Contacts { get; init; } = [];

    /// <summary>The profile's phone and email: addresses of last resort when no contact of the type is held.</summary>
    [Id(4)] public string? Phone { get; init; }
    [Id(5)] public string? Email { get; init; }

    public static ClientFacts Of(ClientProfile profile, long version) =>
        Create(version, profile.DeletedAt, OptedOutOf(profile.Consent),
            profile.Contacts.Select(c => new ContactPoint { Type = c.Type, Value = c.Value }), profile.Phone, profile.Email);

    /// <summary>
    /// The facts as a chat keeps them for as long as it is active: in arrays (an empty one is shared), and with a phone or
    /// email equal to a contact value kept as that same string. Every active chat holds one, so its size counts.
    /// </summary>
    public static ClientFacts Create(long version, DateTimeOffset? deletedAt, IEnumerable<Transport> optedOut,
        IEnumerable<ContactPoint> contacts, string? phone, string? email)
    {
        var held = contacts.ToArray();
        return new ClientFacts
        {
            Version = version,
            DeletedAt = deletedAt,
            OptedOut = optedOut.ToArray(),
            Contacts = held,
            Phone = Shared(phone, held),
            Email = Shared(email, held),
        };
    }

    private static string? Shared(string? value, ContactPoint[] contacts) =>
        value is null ? null : Array.Find(contacts, c => c.Value == value)?.Value ?? value;

    public static IReadOnlyList<Transport> OptedOutOf(IReadOnlyDictionary<Transport, ConsentRecord> consent) =>
        consent.Where(c => !c.Value.OptedIn).Select(c => c.Key).Order().ToArray();

    public bool Holds(ContactType type, string value) => Contacts.Any(c => c.Type == type && c.Value == value);

    /// <summary>The same facts whatever the version: a change that leaves them so need not be told to the chat.</summary>
    public bool SameAs(ClientFacts other) =>
        DeletedAt == other.DeletedAt && Phone == other.Phone && Email == other.Email
        && OptedOut.SequenceEqual(other.OptedOut) && Contacts.SequenceEqual(other.Contacts);
}
