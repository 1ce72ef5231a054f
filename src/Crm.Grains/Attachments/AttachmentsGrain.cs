using Orleans.Concurrency;

namespace Crm.Grains;

[GrainType("attachments"), StatelessWorker]
internal sealed class AttachmentsGrain(IAttachmentStore store, IAuditLog audit, TimeProvider clock) : Grain, IAttachmentsGrain
{
    private string TenantId => this.GetPrimaryKeyString();

    public async Task<Result<AttachmentRef>> UploadAsync(string? fileName, string? contentType, byte[] content, Actor actor)
    {
        var errors = new Errors();
        var name = Path.GetFileName(fileName?.Trim() ?? "");
        if (name.Length == 0)
            errors.Add("file", "A file with a name is required.");
        else if (name.Length > AttachmentRules.MaxFileNameLength)
            errors.Add("file", $"The file name is at most {AttachmentRules.MaxFileNameLength} characters.");
        else if (!TextInput.IsClean(name) || !TextInput.IsClean(contentType))
            errors.Add("file", "The file name and content type must not contain control characters or invalid Unicode.");
        if (content.Length == 0)
            errors.Add("file", "The file is empty.");
        else if (content.Length > AttachmentRules.MaxSize)
            errors.Add("file", $"A file is at most {AttachmentRules.MaxSize / (1024 * 1024)} MB.");
        if (errors.Any)
            return errors.ToResult<AttachmentRef>();

        var now = clock.Now();
        var meta = new AttachmentRef { Id = Ids.New("at"), FileName = name, ContentType = contentType ?? "application/octet-stream", Size = content.Length };
        await store.SaveAsync(TenantId, meta, content, actor.UserId, now);
        await audit.AppendAsync(AuditEvent.Of(actor, now, "attachment.uploaded", "attachment", meta.Id));
        return Result<AttachmentRef>.Ok(meta);
    }

    public Task<IReadOnlyList<AttachmentRef>> DescribeAsync(IReadOnlyList<string> ids) => store.DescribeAsync(TenantId, ids);

    public Task<AttachmentContent?> DownloadAsync(string id) => store.ReadAsync(TenantId, id);
}
