namespace Crm.Grains;

/// <summary>Uploaded files, stored apart from the messages that refer to them (table <c>attachments</c>).</summary>
public interface IAttachmentStore
{
    Task SaveAsync(string tenantId, AttachmentRef meta, byte[] content, string createdBy, DateTimeOffset at);

    /// <summary>The metadata of those ids that exist in the tenant.</summary>
    Task<IReadOnlyList<AttachmentRef>> DescribeAsync(string tenantId, IReadOnlyList<string> ids);

    Task<AttachmentContent?> ReadAsync(string tenantId, string id);
}

[GenerateSerializer, Immutable]
public sealed record AttachmentContent
{
    [Id(0)] public AttachmentRef Meta { get; init; } = new();
    [Id(1)] public byte[] Content { get; init; } = [];
}

public static class AttachmentRules
{
    public const long MaxSize = 10 * 1024 * 1024;
    public const int MaxFileNameLength = 255;
}
