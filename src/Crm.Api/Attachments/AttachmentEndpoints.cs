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

    /// <summary>
    /// Content types a browser may show inline from this origin: none of them runs script. Anything else (HTML, SVG,
    /// XML, JavaScript, whatever the uploader claimed) is served as an opaque download.
    /// </summary>
    private static readonly HashSet<string> InlineTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain",
    };

    public const string OpaqueType = "application/octet-stream";

    /// <summary>The type a download is served as: the stored type (without parameters) if it is a safe one, else opaque.</summary>
    public static string ServedType(string? stored)
    {
        var media = (stored ?? "").Split(';', 2)[0].Trim();
        return InlineTypes.Contains(media) ? media.ToLowerInvariant() : OpaqueType;
    }

    /// <summary>
    /// A tenant's files are uploaded by anyone who can send (and arrive from providers), so a download never runs in
    /// the API's origin: unsafe types become opaque, the browser may not sniff another type, and a sandbox policy keeps
    /// a file opened in a tab from running script or reaching the API with the user's cookies.
    /// </summary>
    public static async Task<IResult> DownloadAsync(string id, IGrainFactory grains, ClaimsPrincipal user, HttpResponse response)
    {
        if (!Ids.IsWellFormed(id))
            return Http.NotFound();
        var file = await grains.GetGrain<IAttachmentsGrain>(user.TenantId()).DownloadAsync(id);
        if (file is null)
            return Http.NotFound();
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = "sandbox";
        return TypedResults.File(file.Content, ServedType(file.Meta.ContentType), file.Meta.FileName);
    }
}
