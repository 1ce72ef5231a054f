using System.Globalization;

namespace Crm.Grains;

/// <summary>Pure rules of the client profile: which fields exist, their limits, and how a change applies.</summary>
public static class ClientRules
{
    public const int MaxNameLength = 100;
    public const int MaxFieldLength = 500;
    public const int MaxCommentLength = 4000;
    public const int MaxContacts = 50;

    public static readonly IReadOnlyList<string> Fields =
    [
        "firstName", "lastName", "middleName", "gender", "dateOfBirth", "phone", "email",
        "address", "passportNumber", "taxPin", "comment",
    ];

    /// <summary>Applies the given fields to a profile; every bad field is reported and nothing is applied.</summary>
    public static ClientProfile? Apply(ClientProfile profile, ClientFields fields, Errors errors)
    {
        var next = profile;
        foreach (var (name, raw) in fields.Values)
        {
            if (!TextInput.Check(raw, name, errors))
                continue;
            var value = string.IsNullOrWhiteSpace(raw) ? null : raw.Trim();
            switch (name)
            {
                case "firstName":
                    if (value is null)
                        errors.Add(name, "First name is required.");
                    else if (Fits(name, value, MaxNameLength, errors))
                        next = next with { FirstName = value };
                    break;
                case "lastName":
                    if (Fits(name, value, MaxNameLength, errors)) next = next with { LastName = value };
                    break;
                case "middleName":
                    if (Fits(name, value, MaxNameLength, errors)) next = next with { MiddleName = value };
                    break;
                case "gender":
                    if (value is null)
                        next = next with { Gender = null };
                    else if (EnumText.TryParse<Gender>(value, out var gender))
                        next = next with { Gender = gender };
                    else
                        errors.Add(name, $"Must be one of: {EnumText.Allowed<Gender>()}.");
                    break;
                case "dateOfBirth":
                    next = ApplyDateOfBirth(next, value, errors);
                    break;
                case "phone":
                    next = ApplyNormalized(next, name, value, ContactType.Phone, errors, (p, v) => p with { Phone = v });
                    break;
                case "email":
                    next = ApplyNormalized(next, name, value, ContactType.Email, errors, (p, v) => p with { Email = v });
                    break;
                case "address":
                    if (Fits(name, value, MaxFieldLength, errors)) next = next with { Address = value };
                    break;
                case "passportNumber":
                    if (Fits(name, value, MaxNameLength, errors)) next = next with { PassportNumber = value };
                    break;
                case "taxPin":
                    if (Fits(name, value, MaxNameLength, errors)) next = next with { TaxPin = value };
                    break;
                case "comment":
                    if (Fits(name, value, MaxCommentLength, errors)) next = next with { Comment = value };
                    break;
                default:
                    errors.Add(name, "Unknown or read-only field.");
                    break;
            }
        }
        return errors.Any ? null : next;
    }

    /// <summary>A new profile needs a first name even when the request leaves the field out.</summary>
    public static void RequireFirstName(ClientFields fields, Errors errors)
    {
        if (!fields.Values.ContainsKey("firstName"))
            errors.Add("firstName", "First name is required.");
    }

    private static bool Fits(string field, string? value, int max, Errors errors)
    {
        if (value is null || value.Length <= max)
            return true;
        errors.Add(field, $"At most {max} characters.");
        return false;
    }

    private static ClientProfile ApplyDateOfBirth(ClientProfile profile, string? value, Errors errors)
    {
        if (value is null)
            return profile with { DateOfBirth = null };
        if (!DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            errors.Add("dateOfBirth", "Must be a date as yyyy-MM-dd.");
            return profile;
        }
        if (date > DateOnly.FromDateTime(DateTime.UtcNow) || date.Year < 1900)
        {
            errors.Add("dateOfBirth", "Must be a date between 1900 and today.");
            return profile;
        }
        return profile with { DateOfBirth = date };
    }

    private static ClientProfile ApplyNormalized(
        ClientProfile profile, string field, string? value, ContactType type, Errors errors,
        Func<ClientProfile, string?, ClientProfile> set)
    {
        if (value is null)
            return set(profile, null);
        var normalized = ContactRules.Normalize(type, value, out var error);
        if (normalized is null)
        {
            errors.Add(field, error!);
            return profile;
        }
        return set(profile, normalized);
    }

    /// <summary>Normalises inline contacts; reports each bad one by its index.</summary>
    public static List<ContactDraft> NormalizeContacts(IReadOnlyList<ContactDraft> drafts, Errors errors, string field = "contacts")
    {
        var result = new List<ContactDraft>();
        if (drafts.Count > MaxContacts)
        {
            errors.Add(field, $"At most {MaxContacts} contacts.");
            return result;
        }
        for (var i = 0; i < drafts.Count; i++)
        {
            var value = ContactRules.Normalize(drafts[i].Type, drafts[i].Value, out var error);
            if (value is null)
                errors.Add($"{field}[{i}].value", error!);
            else if (result.Any(c => c.Type == drafts[i].Type && c.Value == value))
                errors.Add($"{field}[{i}].value", "The same contact is given twice.");
            else
                result.Add(drafts[i] with { Value = value });
        }
        return result;
    }

    /// <summary>
    /// Consent records ordered by transport: a profile then reads the same from memory as from its row, whose jsonb
    /// keeps object keys in an order of its own.
    /// </summary>
    public static IReadOnlyDictionary<Transport, ConsentRecord> OrderConsent(IEnumerable<KeyValuePair<Transport, ConsentRecord>> consent) =>
        consent.OrderBy(c => c.Key).ToDictionary();

    /// <summary>What a search matches: the query lower-cased, or, when it reads as a phone number, its E.164 form.</summary>
    public static string? SearchNeedle(string? query)
    {
        var text = query?.Trim();
        if (string.IsNullOrEmpty(text))
            return null;
        if (text.StartsWith('+') && text.Skip(1).All(c => char.IsAsciiDigit(c) || c is ' ' or '-' or '(' or ')' or '.')
            && ContactRules.NormalizePhone(text, out _) is { } phone)
            return phone;
        return text.ToLowerInvariant();
    }

    /// <summary>Text the client search matches against (the row's <c>search_text</c>).</summary>
    public static string SearchText(ClientProfile p) =>
        string.Join(' ', new[] { p.FirstName, p.MiddleName, p.LastName, p.Phone, p.Email }
            .Concat(p.Contacts.Select(c => c.Value))
            .Where(s => !string.IsNullOrEmpty(s)))
            .ToLowerInvariant();
}
