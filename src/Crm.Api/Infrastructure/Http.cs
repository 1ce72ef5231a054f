using Crm.Grains;

namespace Crm.Api;

/// <summary>Turns grain outcomes into HTTP answers: ProblemDetails for every failure, with fields named.</summary>
public static class Http
{
    public static IResult From<T>(Result<T> result, Func<T, IResult> ok) => result.Outcome switch
    {
        Outcome.Ok => ok(result.Value!),
        Outcome.NotFound => NotFound(result.Detail),
        Outcome.Invalid => TypedResults.ValidationProblem(result.Errors ?? [], title: "The request is not valid."),
        Outcome.Conflict => TypedResults.Problem(result.Detail, statusCode: StatusCodes.Status409Conflict, title: "Conflict"),
        _ => TypedResults.Problem(result.Detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden"),
    };

    public static IResult NotFound(string? detail = null) =>
        TypedResults.Problem(detail ?? "No such resource.", statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static IResult Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The request is not valid.");

    public static IResult Invalid(Errors errors) =>
        TypedResults.ValidationProblem(errors.ToDictionary(), title: "The request is not valid.");

    /// <summary>The page size of a list request: default 50, at most 200.</summary>
    public static bool TryLimit(int? limit, out int value, out IResult? problem)
    {
        value = limit ?? Paging.DefaultLimit;
        problem = value is < 1 or > Paging.MaxLimit ? Invalid("limit", $"Must be between 1 and {Paging.MaxLimit}.") : null;
        return problem is null;
    }

    /// <summary>Answers from middleware (no endpoint result to return) with a ProblemDetails body.</summary>
    public static async Task WriteProblemAsync(HttpContext http, int status, string title, string detail)
    {
        http.Response.StatusCode = status;
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    /// <summary>A validation problem from middleware: 400 with the bad fields named under <c>errors</c>.</summary>
    public static async Task WriteInvalidAsync(HttpContext http, Errors errors)
    {
        http.Response.StatusCode = StatusCodes.Status400BadRequest;
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new HttpValidationProblemDetails(errors.ToDictionary()) { Status = StatusCodes.Status400BadRequest, Title = "The request is not valid." },
        });
    }

    /// <summary>A Retry-After header value: whole seconds, at least one.</summary>
    public static string RetryAfter(TimeSpan wait) =>
        Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static bool IsCursor(string? cursor) => cursor is null || (cursor.Length <= 200 && !cursor.Any(char.IsControl));
}
