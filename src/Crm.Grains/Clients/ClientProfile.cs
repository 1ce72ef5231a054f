namespace Crm.Grains;

[GenerateSerializer, Immutable]
public sealed record Contact
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public ContactType Type { get; init; }
    [Id(2)] public string Value { get; init; } = "";
    [Id(3)] public DateTimeOffset CreatedAt { get; init; }
    [Id(4)] public DateTimeOffset UpdatedAt { get; init; }
}

[GenerateSerializer, Immutable]
public sealed record ConsentRecord
{
    [Id(0)] public bool OptedIn { get; init; }
    [Id(1)] public string Source { get; init; } = "api";
    [Id(2)] public DateTimeOffset At { get; init; }
    [Id(3)] public string? ByUserId { get; init; }
}

/// <summary>A client as stored and as shown: every attribute of the requirements.</summary>
[GenerateSerializer, Immutable]
public sealed record ClientProfile
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public string FirstName { get; init; } = "";
    [Id(2)] public string? LastName { get; init; }
    [Id(3)] public string? MiddleName { get; init; }
    [Id(4)] public Gender? Gender { get; init; }
    [Id(5)] public DateOnly? DateOfBirth { get; init; }
    [Id(6)] public string? Phone { get; init; }
    [Id(7)] public string? Email { get; init; }
    [Id(8)] public string? Address { get; init; }
    [Id(9)] public string? PassportNumber { get; init; }
    [Id(10)] public string? TaxPin { get; init; }
    [Id(11)] public string? Comment { get; init; }
    [Id(12)] public IReadOnlyList<Contact> Contacts { get; init; } = [];
    [Id(13)] public IReadOnlyDictionary<Transport, ConsentRecord> Consent { get; init; } = new Dictionary<Transport, ConsentRecord>();
    [Id(14)] public DateTimeOffset CreatedAt { get; init; }
    [Id(15)] public DateTimeOffset UpdatedAt { get; init; }
    [Id(16)] public DateTimeOffset? DeletedAt { get; init; }
}

/// <summary>A contact as asked for, before normalisation.</summary>
[GenerateSerializer, Immutable]
public sealed record ContactDraft
{
    [Id(0)] public ContactType Type { get; init; }
    [Id(1)] public string Value { get; init; } = "";
}

/// <summary>
/// The profile fields of a create or a patch, as text, keyed by their API names (camelCase).
/// A patch carries only the fields it changes; a null value clears the field.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ClientFields
{
    [Id(0)] public IReadOnlyDictionary<string, string?> Values { get; init; } = new Dictionary<string, string?>();
}
