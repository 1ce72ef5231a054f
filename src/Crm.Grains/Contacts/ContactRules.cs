using System.Net.Mail;
using PhoneNumbers;

namespace Crm.Grains;

/// <summary>Normalises contact values so that one person's number or address has exactly one spelling.</summary>
public static class ContactRules
{
    public const int MaxValueLength = 256;
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    /// <summary>Returns the normalised value, or null with the reason it is not acceptable.</summary>
    public static string? Normalize(ContactType type, string? raw, out string? error)
    {
        error = null;
        var value = raw?.Trim() ?? "";
        if (value.Length == 0)
        {
            error = "A contact value is required.";
            return null;
        }
        if (value.Length > MaxValueLength)
        {
            error = $"A contact value is at most {MaxValueLength} characters.";
            return null;
        }
        if (!TextInput.IsClean(value))
        {
            error = TextInput.Refusal;
            return null;
        }
        return type switch
        {
            ContactType.Phone or ContactType.Whatsapp => NormalizePhone(value, out error),
            ContactType.Email => NormalizeEmail(value, out error),
            ContactType.Telegram => NormalizeTelegram(value, out error),
            _ => value,
        };
    }

    public static string? NormalizePhone(string value, out string? error)
    {
        error = null;
        if (value.StartsWith("whatsapp:", StringComparison.OrdinalIgnoreCase))
            value = value["whatsapp:".Length..];
        try
        {
            var number = Phones.Parse(value, "ZZ");
            if (Phones.IsValidNumber(number))
                return Phones.Format(number, PhoneNumberFormat.E164);
        }
        catch (NumberParseException)
        {
        }
        error = "Not a valid phone number; give it in international form, e.g. +14155550123.";
        return null;
    }

    public static string? NormalizeEmail(string value, out string? error)
    {
        error = null;
        if (MailAddress.TryCreate(value, out var address) && address.Address == value && value.Contains('@'))
            return value.ToLowerInvariant();
        error = "Not a valid email address.";
        return null;
    }

    private static string? NormalizeTelegram(string value, out string? error)
    {
        error = null;
        var handle = value.TrimStart('@');
        var numericId = handle.Length is > 0 and <= 20 && handle.All(char.IsAsciiDigit);
        var username = handle.Length is >= 4 and <= 32 && handle.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
        if (numericId || username)
            return handle.ToLowerInvariant();
        error = "Not a valid Telegram handle: 4-32 letters, digits or underscores, or a numeric chat id.";
        return null;
    }

    /// <summary>The transport a contact of this type is reached on.</summary>
    public static Transport TransportOf(ContactType type) => type switch
    {
        ContactType.Email => Transport.Email,
        ContactType.Phone => Transport.Sms,
        ContactType.Telegram => Transport.Telegram,
        ContactType.Whatsapp => Transport.Whatsapp,
        _ => Transport.Other,
    };

    /// <summary>The profile of a client first met through a message: the name the provider gave, else the contact value.</summary>
    public static ClientFields ProfileOf(InboundMessage message)
    {
        var name = message.Sender.DisplayName?.Trim();
        if (string.IsNullOrEmpty(name))
            return new ClientFields { Values = new Dictionary<string, string?> { ["firstName"] = Clip(message.ContactValue) } };
        var space = name.IndexOf(' ');
        return new ClientFields
        {
            Values = space < 0
                ? new Dictionary<string, string?> { ["firstName"] = Clip(name) }
                : new Dictionary<string, string?> { ["firstName"] = Clip(name[..space]), ["lastName"] = Clip(name[(space + 1)..].Trim()) },
        };
    }

    private static string Clip(string text) => text.Length <= ClientRules.MaxNameLength ? text : text[..ClientRules.MaxNameLength];

    public static string GrainKey(string tenantId, ContactType type, string normalizedValue) =>
        $"{tenantId}/{EnumText.Of(type)}/{normalizedValue}";

    /// <summary>The parts of a contact grain's key (the value may itself hold slashes).</summary>
    public static (string TenantId, ContactType Type, string Value) ParseKey(string key)
    {
        var (tenantId, rest) = Ids.Split(key);
        var slash = rest.IndexOf('/');
        if (slash < 0 || !EnumText.TryParse<ContactType>(rest[..slash], out var type))
            throw new ArgumentException($"Not a contact key: '{key}'.", nameof(key));
        return (tenantId, type, rest[(slash + 1)..]);
    }
}
