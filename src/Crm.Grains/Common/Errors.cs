namespace Crm.Grains;

/// <summary>Collects validation messages per field, in the shape ProblemDetails `errors` expects.</summary>
public sealed class Errors
{
    private readonly Dictionary<string, List<string>> _byField = new(StringComparer.Ordinal);

    public bool Any => _byField.Count > 0;

    public void Add(string field, string message)
    {
        if (!_byField.TryGetValue(field, out var list))
            _byField[field] = list = [];
        list.Add(message);
    }

    public Dictionary<string, string[]> ToDictionary() => _byField.ToDictionary(p => p.Key, p => p.Value.ToArray());

    public Result<T> ToResult<T>() => Result<T>.Invalid(ToDictionary());
}
