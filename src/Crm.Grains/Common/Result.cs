namespace Crm.Grains;

public enum Outcome { Ok, NotFound, Invalid, Conflict, Forbidden }

/// <summary>The expected outcomes of a grain operation, returned rather than thrown.</summary>
[GenerateSerializer, Immutable]
public sealed record Result<T>
{
    [Id(0)] public Outcome Outcome { get; init; }
    [Id(1)] public T? Value { get; init; }
    [Id(2)] public Dictionary<string, string[]>? Errors { get; init; }
    [Id(3)] public string? Detail { get; init; }

    public bool IsOk => Outcome == Outcome.Ok;

    public static Result<T> Ok(T value) => new() { Value = value };
    public static Result<T> NotFound(string? detail = null) => new() { Outcome = Outcome.NotFound, Detail = detail };
    public static Result<T> Conflict(string detail) => new() { Outcome = Outcome.Conflict, Detail = detail };
    public static Result<T> Invalid(Dictionary<string, string[]> errors) => new() { Outcome = Outcome.Invalid, Errors = errors };
    public static Result<T> Invalid(string field, string message) => Invalid(new() { [field] = [message] });

    public Result<TOther> As<TOther>() => new() { Outcome = Outcome, Errors = Errors, Detail = Detail };
}
