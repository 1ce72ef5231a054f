namespace Crm.Grains;

public enum Keyword { None, OptOut, OptIn, Help }

/// <summary>Pure decisions of delivery: where a message goes, whether a status moves, when to try again.</summary>
public static class DeliveryRules
{
    public const int MaxAttempts = 8;
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    private static readonly string[] OptOutWords = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];
    private static readonly string[] OptInWords = ["START", "YES", "UNSTOP"];
    private static readonly string[] HelpWords = ["HELP", "INFO"];

    /// <summary>The rank of a status on the forward-only ladder; terminal failures outrank everything but each other.</summary>
    public static int Rank(MessageStatus status) => status switch
    {
        MessageStatus.Queued => 0,
        MessageStatus.Sending => 1,
        MessageStatus.Sent => 2,
        MessageStatus.Delivered => 3,
        MessageStatus.Read => 4,
        MessageStatus.Undelivered or MessageStatus.Failed => 5,
        _ => -1,
    };

    /// <summary>A report moves a message only forward: late, repeated or out-of-order reports change nothing.</summary>
    public static bool Advances(MessageStatus current, MessageStatus next) =>
        Rank(next) > Rank(current) && Rank(current) < 5;

    /// <summary>A single-word opt-out or opt-in keyword, as SMS and WhatsApp carriers honour them.</summary>
    public static Keyword KeywordOf(Transport transport, string text)
    {
        if (transport is not (Transport.Sms or Transport.Whatsapp))
            return Keyword.None;
        var word = text.Trim().TrimEnd('.', '!').ToUpperInvariant();
        if (OptOutWords.Contains(word))
            return Keyword.OptOut;
        if (OptInWords.Contains(word))
            return Keyword.OptIn;
        return HelpWords.Contains(word) ? Keyword.Help : Keyword.None;
    }

    /// <summary>Exponential backoff from 2 s, capped, unless the provider said when.</summary>
    public static TimeSpan Backoff(int attempt, TimeSpan? providerSays) =>
        providerSays ?? TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, Math.Max(1, attempt))));

    /// <summary>The client's address on a transport: a contact of the matching type, the profile field, or where they last wrote from.</summary>
    public static string? AddressFor(Transport transport, ClientFacts client, IReadOnlyDictionary<Transport, string> lastInboundFrom)
    {
        if (lastInboundFrom.TryGetValue(transport, out var from))
            return from;
        string? Contact(ContactType type) => client.Contacts.FirstOrDefault(c => c.Type == type)?.Value;
        string? Other(string prefix) => client.Contacts.FirstOrDefault(c => c.Type == ContactType.Other && c.Value.StartsWith(prefix, StringComparison.Ordinal))?.Value[prefix.Length..];
        return transport switch
        {
            Transport.Sms => Contact(ContactType.Phone) ?? client.Phone,
            Transport.Whatsapp => Contact(ContactType.Whatsapp) ?? Contact(ContactType.Phone) ?? client.Phone,
            Transport.Email => Contact(ContactType.Email) ?? client.Email,
            Transport.Telegram => Contact(ContactType.Telegram),
            Transport.Instagram => Other("instagram:"),
            Transport.Website => Other("website:"),
            _ => null,
        };
    }

    /// <summary>Phone calls and other out-of-band messages are logged by agents, never sent.</summary>
    public static bool IsLoggedOnly(Transport transport) => transport is Transport.Phone or Transport.Other;
}
