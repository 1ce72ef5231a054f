namespace Crm.Grains;

/// <summary>The parts of an <see cref="InboundMessage"/> that hold provider text, without what <see cref="TextInput"/> refuses; clean parts are kept as they are.</summary>
internal static class InboundCleaning
{
    public static Sender Clean(Sender sender) =>
        IsClean(sender.UserId, sender.ClientId, sender.Address, sender.DisplayName)
            ? sender
            : sender with
            {
                UserId = TextInput.StripOrNull(sender.UserId),
                ClientId = TextInput.StripOrNull(sender.ClientId),
                Address = TextInput.StripOrNull(sender.Address),
                DisplayName = TextInput.StripOrNull(sender.DisplayName),
            };

    public static IReadOnlyList<AttachmentRef> Clean(IReadOnlyList<AttachmentRef> attachments) =>
        attachments.All(a => IsClean(a.Id, a.FileName, a.ContentType, a.Url))
            ? attachments
            : [.. attachments.Select(a => a with
            {
                Id = TextInput.Strip(a.Id),
                FileName = TextInput.StripOrNull(a.FileName),
                ContentType = TextInput.StripOrNull(a.ContentType),
                Url = TextInput.StripOrNull(a.Url),
            })];

    /// <summary>Keys too; two keys that become the same keep the later value.</summary>
    public static IReadOnlyDictionary<string, string> Clean(IReadOnlyDictionary<string, string> metadata)
    {
        if (metadata.All(m => IsClean(m.Key, m.Value)))
            return metadata;
        var clean = new Dictionary<string, string>(metadata.Count, StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
            clean[TextInput.Strip(key)] = TextInput.Strip(value);
        return clean;
    }

    private static bool IsClean(params ReadOnlySpan<string?> texts)
    {
        foreach (var text in texts)
        {
            if (!TextInput.IsClean(text))
                return false;
        }
        return true;
    }
}
