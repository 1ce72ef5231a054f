namespace Crm.Grains;

/// <summary>Uploads and downloads of a tenant's files (key <c>{tenant}</c>); any silo may serve it.</summary>
public interface IAttachmentsGrain : IGrainWithStringKey
{
    Task<Result<AttachmentRef>> UploadAsync(string? fileName, string? contentType, byte[] content, Actor actor);

    Task<IReadOnlyList<AttachmentRef>> DescribeAsync(IReadOnlyList<string> ids);

    Task<AttachmentContent?> DownloadAsync(string id);
}
