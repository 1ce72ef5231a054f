namespace Crm.Grains;

/// <summary>Pure decisions of the chat: what may be sent, on which transport, and what counts as unread.</summary>
public static class ChatRules
{
    public const int MaxTextLength = 4096;
    public const int MaxAttachments = 10;
    /// <summary>
    /// How many of its newest messages a chat remembers the dedup keys of. A provider redelivers within minutes and a
    /// client repeats a send at once; an older repeat is caught by the unique indexes of <c>messages</c>.
    /// </summary>
    public const int RecentKeysKept = 32;
    public const int MaxIdempotencyKeyLength = 200;

    /// <summary>Inbound text is what the client wrote; only absurd lengths (a mail with a novel in it) are cut.</summary>
    public const int MaxInboundTextLength = 65_536;

    public static string InboundText(string? text) =>
        text is null ? "" : text.Length <= MaxInboundTextLength ? text : text[..MaxInboundTextLength] + "\n[truncated]";

    /// <summary>The transport asked for; else the one the client last wrote on; else the client's first reachable contact.</summary>
    public static Transport? ChooseTransport(Transport? asked, Transport? lastInbound, ClientFacts client)
    {
        if (asked is not null)
            return asked;
        if (lastInbound is not null)
            return lastInbound;
        if (client.Contacts.Count > 0)
            return ContactRules.TransportOf(client.Contacts[0].Type);
        if (client.Phone is not null)
            return Transport.Sms;
        if (client.Email is not null)
            return Transport.Email;
        return null;
    }

    public static bool OptedOut(ClientFacts client, Transport transport) => client.OptedOut.Contains(transport);

    public static void ValidateText(string? text, bool hasOtherContent, Errors errors)
    {
        if (string.IsNullOrWhiteSpace(text) && !hasOtherContent)
            errors.Add("text", "Text is required unless a template or attachments are given.");
        else if (text is { Length: > MaxTextLength })
            errors.Add("text", $"At most {MaxTextLength} characters.");
        else
            TextInput.Check(text, "text", errors);
    }

    public static long Unread(ChatRow chat, ReadHorizon? horizon) => chat.InboundCount - (horizon?.InboundCount ?? 0);

    public static string IdempotencyKey(string key) => "idem:" + key;

    public static string ProviderKey(Transport transport, string providerMessageId) =>
        $"prov:{EnumText.Of(transport)}:{providerMessageId}";
}
