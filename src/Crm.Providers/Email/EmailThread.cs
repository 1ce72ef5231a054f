namespace Crm.Providers;

/// <summary>
/// Keys of the email facts kept with a conversation: in an inbound message's <c>Metadata</c>, in the
/// outbound envelope's <c>Thread</c>, and in a send outcome's <c>Thread</c>. Message ids are without
/// angle brackets; References is the header's form, ids in angle brackets separated by spaces.
/// </summary>
public static class EmailThread
{
    public const string MessageId = "emailMessageId";
    public const string Subject = "emailSubject";
    public const string InReplyTo = "emailInReplyTo";
    public const string References = "emailReferences";

    public static string FormatReferences(IEnumerable<string> ids) => string.Join(' ', ids.Select(id => $"<{id}>"));
}
