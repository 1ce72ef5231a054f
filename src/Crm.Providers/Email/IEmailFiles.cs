using Crm.Grains;
using Microsoft.Extensions.DependencyInjection;

namespace Crm.Providers;

/// <summary>Where mail attachments are kept: files of inbound mail are stored, files of outbound messages are read.</summary>
public interface IEmailFiles
{
    /// <summary>Stores a file and returns its reference, or null when the store refuses it (empty, too large).</summary>
    Task<AttachmentRef?> SaveAsync(string tenantId, string fileName, string contentType, byte[] content);

    Task<AttachmentContent?> ReadAsync(string tenantId, string attachmentId);
}

/// <summary>The tenant's attachments grain.</summary>
/// <remarks>
/// The grain factory is looked up on first use: the adapters are built wherever the router is,
/// including hosts without Orleans that never send a file.
/// </remarks>
public sealed class GrainEmailFiles(IServiceProvider services) : IEmailFiles
{
    private IGrainFactory Grains => services.GetRequiredService<IGrainFactory>();

    public async Task<AttachmentRef?> SaveAsync(string tenantId, string fileName, string contentType, byte[] content)
    {
        var result = await Grains.GetGrain<IAttachmentsGrain>(tenantId).UploadAsync(fileName, contentType, content, Actor.System(tenantId));
        return result.IsOk ? result.Value : null;
    }

    public Task<AttachmentContent?> ReadAsync(string tenantId, string attachmentId) =>
        Grains.GetGrain<IAttachmentsGrain>(tenantId).DownloadAsync(attachmentId);
}
