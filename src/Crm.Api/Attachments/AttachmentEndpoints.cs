using System.Security.Claims;
using Crm.Grains;

namespace Crm.Api;

public static class AttachmentEndpoints
{
    public static void MapAttachmentEndpoints(this IEndpointRouteBuilder app)
    {
        var attachments = app.MapGroup("/api/v1/attachments").WithTags("Attachments");
        attachments.MapPost("/", UploadAsync).Require(Permission.SendMessages).DisableAntiforgery()
            .WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(RequestLimits.MaxUploadBytes));
        attachments.MapGet("/{id}", DownloadAsync).Require(Permission.ReadChats);
    }

    public static async Task<IResult> UploadAsync(IFormFile? file, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (file is null)
            return Http.Invalid("file", "Send the file as multipart/form-data in a field named 'file'.");
        if (file.Length > AttachmentRules.MaxSize)
            return Http.Invalid("file", $"A file is at most {AttachmentRules.MaxSize / (1024 * 1024)} MB.");
        using var buffer = new MemoryStream((int)file.Length);
        await file.CopyToAsync(buffer);
        var actor = user.Actor();
        var result = await grains.GetGrain<IAttachmentsGrain>(actor.TenantId).UploadAsync(file.FileName, file.ContentType, buffer.ToArray(), actor);
        return Http.From(result, a => TypedResults.Created($"/api/v1/attachments/{a.Id}", a));
    }

    public static async Task<IResult> DownloadAsync(string id, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (!Ids.IsWellFormed(id))
            return Http.NotFound();
        var file = await grains.GetGrain<IAttachmentsGrain>(user.TenantId()).DownloadAsync(id);
        return file is null ? Http.NotFound() : TypedResults.File(file.Content, file.Meta.ContentType, file.Meta.FileName);
    }
}
