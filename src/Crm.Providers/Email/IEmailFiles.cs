using Crm.Grains;

namespace Crm.Providers;

/// <summary>Where mail attachments are kept: files of inbound mail are stored, files of outbound messages are read.</summary>
public interface IEmailFiles
{
    /// <summary>Stores a file and returns its reference, or null when the store refuses it (empty, too large).</summary>
    Task<AttachmentRef?> SaveAsync(string tenantId, string fileName, string contentType, byte[] content);

    Task<AttachmentContent?> ReadAsync(string tenantId, string attachmentId);
}

/// <summary>The tenant's attachments grain.</summary>
public sealed class GrainEmailFiles(IGrainFactory grains) : IEmailFiles
{
    public async Task<AttachmentRef?> SaveAsync(string tenantId, string fileName, string contentType, byte[] content)
    {
        var result = await grains.GetGrain<IAttachmentsGrain>(tenantId).UploadAsync(fileName, contentType, content, Actor.System(tenantId));
        return result.IsOk ? result.Value : null;
    }

    public Task<AttachmentContent?> ReadAsync(string tenantId, string attachmentId) =>
        grains.GetGrain<IAttachmentsGrain>(tenantId).DownloadAsync(attachmentId);
}
