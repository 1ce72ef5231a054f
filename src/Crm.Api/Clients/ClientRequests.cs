using System.Text.Json;
using Crm.Grains;

namespace Crm.Api;

/// <summary>The documented shape of a client create; the body is read field by field so that every bad field is named.</summary>
public sealed record ClientCreateRequest(
    string FirstName, string? LastName, string? MiddleName, string? Gender, string? DateOfBirth, string? Phone, string? Email,
    string? Address, string? PassportNumber, string? TaxPin, string? Comment, IReadOnlyList<ContactRequest>? Contacts);

public sealed record ContactRequest(string Type, string Value);

public sealed record ConsentRequest(bool? OptedIn);

public static class ClientRequests
{
    /// <summary>Reads profile fields (and, on create, inline contacts) from a JSON object; a null value clears a field.</summary>
    public static (ClientFields Fields, List<ContactDraft> Contacts) Read(JsonElement body, bool create, Errors errors)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        var contacts = new List<ContactDraft>();
        var positions = new List<int>();
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add("body", "A JSON object is expected.");
            return (new ClientFields(), contacts);
        }
        foreach (var property in body.EnumerateObject())
        {
            if (property.Name == "contacts" && create)
                (contacts, positions) = ReadContacts(property.Value, errors);
            else if (!ClientRules.Fields.Contains(property.Name))
                errors.Add(property.Name, create || property.Name != "contacts" ? "Unknown or read-only field." : "Contacts are changed through /contacts.");
            else if (property.Value.ValueKind is JsonValueKind.String or JsonValueKind.Null)
                values[property.Name] = property.Value.ValueKind == JsonValueKind.Null ? null : property.Value.GetString();
            else
                errors.Add(property.Name, "Must be a string or null.");
        }
        if (errors.Any)
        {
            // Contact values are checked here too when the request is refused anyway, under their own index.
            for (var i = 0; i < contacts.Count; i++)
            {
                if (ContactRules.Normalize(contacts[i].Type, contacts[i].Value, out var error) is null)
                    errors.Add($"contacts[{positions[i]}].value", error!);
            }
        }
        return (new ClientFields { Values = values }, contacts);
    }

    /// <summary>The well-formed contacts and the index each had in the request.</summary>
    public static (List<ContactDraft> Contacts, List<int> Positions) ReadContacts(JsonElement array, Errors errors)
    {
        var contacts = new List<ContactDraft>();
        var positions = new List<int>();
        if (array.ValueKind == JsonValueKind.Null)
            return (contacts, positions);
        if (array.ValueKind != JsonValueKind.Array)
        {
            errors.Add("contacts", "Must be an array.");
            return (contacts, positions);
        }
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (ReadContact(item, errors, $"contacts[{i}].") is { } contact)
            {
                contacts.Add(contact);
                positions.Add(i);
            }
            i++;
        }
        return (contacts, positions);
    }

    public static ContactDraft? ReadContact(JsonElement item, Errors errors, string prefix = "")
    {
        string? type = null, value = null;
        if (item.ValueKind == JsonValueKind.Object)
        {
            type = item.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            value = item.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        }
        if (!EnumText.TryParse<ContactType>(type, out var contactType))
            errors.Add(prefix + "type", $"Must be one of: {EnumText.Allowed<ContactType>()}.");
        if (value is null)
            errors.Add(prefix + "value", "A contact value is required.");
        return type is null || value is null || !EnumText.TryParse<ContactType>(type, out _) ? null : new ContactDraft { Type = contactType, Value = value };
    }
}
