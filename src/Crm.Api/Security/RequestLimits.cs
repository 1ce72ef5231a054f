using Crm.Grains;
using Microsoft.AspNetCore.Mvc;

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
            http.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = new ProblemDetails
                {
                    Status = StatusCodes.Status413PayloadTooLarge,
                    Title = "The request body is too large.",
                    Detail = $"At most {LimitFor(http.Request.Path) / 1024} KB.",
                },
            });
            return;
        }
        await next(http);
    });
}
