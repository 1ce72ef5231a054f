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

    public static ClientFacts Of(ClientProfile profile, long version) => new()
    {
        Version = version,
        DeletedAt = profile.DeletedAt,
        OptedOut = OptedOutOf(profile.Consent),
        Contacts = profile.Contacts.Select(c => new ContactPoint { Type = c.Type, Value = c.Value }).ToList(),
        Phone = profile.Phone,
        Email = profile.Email,
    };

    public static IReadOnlyList<Transport> OptedOutOf(IReadOnlyDictionary<Transport, ConsentRecord> consent) =>
        consent.Where(c => !c.Value.OptedIn).Select(c => c.Key).Order().ToList();

    public bool Holds(ContactType type, string value) => Contacts.Any(c => c.Type == type && c.Value == value);

    /// <summary>The same facts whatever the version: a change that leaves them so need not be told to the chat.</summary>
    public bool SameAs(ClientFacts other) =>
        DeletedAt == other.DeletedAt && Phone == other.Phone && Email == other.Email
        && OptedOut.SequenceEqual(other.OptedOut) && Contacts.SequenceEqual(other.Contacts);
}
