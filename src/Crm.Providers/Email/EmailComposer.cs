using Crm.Grains;
using MimeKit;
using MimeKit.Utils;

namespace Crm.Providers;

/// <summary>Builds the mail for an outbound message: our own Message-Id, threaded to the client's last mail.</summary>
public static class EmailComposer
{
    /// <exception cref="ParseException">The From setting or the client's address is not a mail address.</exception>
    public static MimeMessage Compose(OutboundEnvelope envelope, EmailSettings settings, IReadOnlyList<AttachmentContent> files)
    {
        var from = MailboxAddress.Parse(settings.From);
        var message = new MimeMessage { Subject = SubjectOf(envelope.Thread, settings, from) };
        message.From.Add(from);
        message.To.Add(MailboxAddress.Parse(envelope.To));
        message.MessageId = MessageIdOf(envelope, from);
        if (Value(envelope.Thread, EmailThread.MessageId) is { } parent)
        {
            message.InReplyTo = parent;
            foreach (var id in ReferencesOf(envelope.Thread, parent))
                message.References.Add(id);
        }

        var body = new BodyBuilder { TextBody = envelope.Text };
        foreach (var file in files)
            body.Attachments.Add(file.Meta.FileName ?? file.Meta.Id, file.Content, ContentType.Parse(file.Meta.ContentType ?? "application/octet-stream"));
        message.Body = body.ToMessageBody();
        return message;
    }

    /// <summary>The facts a reply to this mail needs, for the conversation to keep.</summary>
    public static IReadOnlyDictionary<string, string> ThreadOf(MimeMessage message) => new Dictionary<string, string>
    {
        [EmailThread.MessageId] = message.MessageId ?? "",
        [EmailThread.Subject] = message.Subject ?? "",
        [EmailThread.References] = EmailThread.FormatReferences(message.References),
    };

    public static string SubjectOf(IReadOnlyDictionary<string, string> thread, EmailSettings settings, MailboxAddress from)
    {
        if (Value(thread, EmailThread.Subject) is { } subject)
            return subject.StartsWith("Re:", StringComparison.OrdinalIgnoreCase) ? subject : "Re: " + subject;
        if (!string.IsNullOrWhiteSpace(settings.DefaultSubject))
            return settings.DefaultSubject;
        return "Message from " + (string.IsNullOrWhiteSpace(from.Name) ? from.Address : from.Name);
    }

    /// <summary>
    /// Derived from our message id, so a retry after a lost SMTP answer carries the same Message-Id
    /// and the recipient's mail program shows it once.
    /// </summary>
    private static string MessageIdOf(OutboundEnvelope envelope, MailboxAddress from)
    {
        var domain = from.Address[(from.Address.LastIndexOf('@') + 1)..];
        return Ids.IsWellFormed(envelope.MessageId) ? $"{envelope.MessageId}@{domain}" : MimeUtils.GenerateMessageId(domain);
    }

    /// <summary>The parent's References followed by the parent itself, as RFC 5322 asks of a reply.</summary>
    private static IEnumerable<string> ReferencesOf(IReadOnlyDictionary<string, string> thread, string parent)
    {
        var ids = Value(thread, EmailThread.References) is { } references ? MimeUtils.EnumerateReferences(references).ToList() : [];
        ids.Remove(parent);
        ids.Add(parent);
        return ids;
    }

    private static string? Value(IReadOnlyDictionary<string, string> thread, string key) =>
        thread.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;
}
