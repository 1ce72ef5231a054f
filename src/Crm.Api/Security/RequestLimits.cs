using Crm.Grains;

namespace Crm.Api;

/// <summary>
/// Refuses a declared body over the limit before anything reads it: 1 MB, attachments 10 MB. Kestrel
/// enforces the same limit on bodies without a declared length.
/// </summary>
public static class RequestLimits
{
    public const long MaxBodyBytes = 1024 * 1024;
    public const long MaxUploadBytes = AttachmentRules.MaxSize + 64 * 1024;

    public static long LimitFor(PathString path) =>
        path.StartsWithSegments("/api/v1/attachments") ? MaxUploadBytes : MaxBodyBytes;

    public static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.Request.ContentLength is { } length && length > LimitFor(http.Request.Path))
        {
            await Http.WriteProblemAsync(http, StatusCodes.Status413PayloadTooLarge, "The request body is too large.",
                $"At most {LimitFor(http.Request.Path) / 1024} KB.");
            return;
        }
        await next(http);
    });
}
