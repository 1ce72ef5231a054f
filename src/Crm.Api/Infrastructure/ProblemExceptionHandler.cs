using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Crm.Api;

/// <summary>
/// The one place unexpected exceptions become ProblemDetails. A request that could not be read
/// (malformed JSON, a wrong type) is the caller's error and names the field; a cluster that lost a node
/// and has not recovered yet is a 503 with Retry-After; anything else is a 500 without internals.
/// </summary>
internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        ProblemDetails problem;
        if (exception is BadHttpRequestException bad)
        {
            problem = bad.InnerException is JsonException json
                ? new HttpValidationProblemDetails(new Dictionary<string, string[]> { [FieldOf(json.Path)] = ["The value is malformed or of the wrong type."] })
                : ParameterOf(bad.Message) is { } parameter
                    ? new HttpValidationProblemDetails(new Dictionary<string, string[]> { [parameter] = ["The value is malformed or of the wrong type."] })
                    : new ProblemDetails { Detail = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is too large." : "The request could not be read." };
            problem.Status = bad.StatusCode;
            problem.Title = "The request is not valid.";
        }
        else if (IsClusterUnavailable(exception))
        {
            // A silo died and the cluster has not yet moved its grains; a retry soon succeeds. A call that timed out
            // may still have been carried out, so the answer does not claim otherwise: sends are retried safely
            // with their Idempotency-Key.
            LogClusterUnavailable(logger, exception, context.Request.Method, context.Request.Path);
            problem = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "The service is recovering from a node failure.",
                Detail = "Retry in a few seconds; repeat a send with the same Idempotency-Key so that it is not stored twice.",
            };
            context.Response.Headers.RetryAfter = "5";
        }
        else
        {
            LogUnhandled(logger, exception, context.Request.Method, context.Request.Path);
            problem = new ProblemDetails { Status = StatusCodes.Status500InternalServerError, Title = "An unexpected error occurred." };
        }
        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    private static bool IsClusterUnavailable(Exception exception) =>
        exception is Orleans.Runtime.SiloUnavailableException or Orleans.Runtime.OrleansMessageRejectionException
            or TimeoutException;

    /// <summary><c>$.contacts[0].type</c> becomes <c>contacts[0].type</c>; the body itself is <c>body</c>.</summary>
    private static string FieldOf(string? path)
    {
        var field = path?.TrimStart('$').TrimStart('.');
        return string.IsNullOrEmpty(field) ? "body" : field;
    }

    /// <summary>ASP.NET Core names the parameter it could not bind: <c>Failed to bind parameter "int? limit" from "ten".</c></summary>
    private static string? ParameterOf(string message)
    {
        var match = BindFailure().Match(message);
        if (match.Success)
            return match.Groups["name"].Value;
        return message.Contains("body", StringComparison.OrdinalIgnoreCase) ? "body" : null;
    }

    [System.Text.RegularExpressions.GeneratedRegex("""parameter "(?:[^"]* )?(?<name>[A-Za-z_][A-Za-z0-9_]*)" from""")]
    private static partial System.Text.RegularExpressions.Regex BindFailure();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster unavailable for {Method} {Path}; answered 503")]
    private static partial void LogClusterUnavailable(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled exception on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}
