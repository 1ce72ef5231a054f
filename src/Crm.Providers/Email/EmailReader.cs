using System.Security.Cryptography;
using Crm.Grains;
using MimeKit;

namespace Crm.Providers;

/// <summary>Turns a received mail into the one inbound shape every channel shares.</summary>
public static class EmailReader
{
    public const string Provider = "email";

    /// <summary>The client's address, normalised, or null when the mail has no usable sender or is our own.</summary>
    public static MailboxAddress? SenderOf(MimeMessage message, string ownAddress)
    {
        var sender = message.From.Mailboxes.FirstOrDefault();
        if (sender is null || ContactRules.NormalizeEmail(sender.Address, out _) is not { } address)
            return null;
        return string.Equals(address, ownAddress, StringComparison.OrdinalIgnoreCase) ? null : new MailboxAddress(sender.Name, address);
    }

    public static InboundMessage Read(string tenantId, MimeMessage message, MailboxAddress sender, IReadOnlyList<AttachmentRef> attachments)
    {
        var messageId = message.MessageId is { Length: > 0 } id ? id : FallbackIdOf(message);
        var metadata = new Dictionary<string, string> { [EmailThread.MessageId] = messageId, [EmailThread.Subject] = message.Subject ?? "" };
        if (message.InReplyTo is { Length: > 0 } inReplyTo)
            metadata[EmailThread.InReplyTo] = inReplyTo;
        if (message.References.Count > 0)
            metadata[EmailThread.References] = EmailThread.FormatReferences(message.References);

        return new InboundMessage
        {
            TenantId = tenantId,
            Transport = Transport.Email,
            Provider = Provider,
            ProviderMessageId = messageId,
            Sender = new Sender { Type = SenderType.Email, Address = sender.Address, DisplayName = string.IsNullOrWhiteSpace(sender.Name) ? null : sender.Name },
            ContactType = ContactType.Email,
            ContactValue = sender.Address,
            Text = TextOf(message),
            Attachments = attachments,
            ProviderTimestamp = message.Date == DateTimeOffset.MinValue ? null : message.Date,
            Metadata = metadata,
        };
    }

    /// <summary>The plain-text body, else the text of the HTML body, else the subject, so a message is never blank.</summary>
    public static string TextOf(MimeMessage message)
    {
        var text = message.TextBody;
        if (string.IsNullOrWhiteSpace(text) && message.HtmlBody is { } html)
            text = HtmlText.ToPlain(html);
        return string.IsNullOrWhiteSpace(text) ? message.Subject ?? "" : text.Trim();
    }

    /// <summary>A mail without a Message-Id is named by its content, so reading it again names it the same.</summary>
    private static string FallbackIdOf(MimeMessage message)
    {
        using var buffer = new MemoryStream();
        message.WriteTo(buffer);
        return "sha256-" + Convert.ToHexStringLower(SHA256.HashData(buffer.ToArray())) + "@crm.invalid";
    }
}
