namespace Crm.Grains;

[GenerateSerializer, Immutable]
public sealed record Page<T>
{
    [Id(0)] public IReadOnlyList<T> Items { get; init; } = [];
    [Id(1)] public string? NextCursor { get; init; }
}

public static class Paging
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    /// <summary>Pages an in-memory list ordered by an ordinal string key; the cursor is the last key served.</summary>
    public static Page<T> ByKey<T>(IEnumerable<T> items, Func<T, string> key, int limit, string? cursor)
    {
        var ordered = items.OrderBy(key, StringComparer.Ordinal)
            .Where(i => cursor is null || string.CompareOrdinal(key(i), cursor) > 0)
            .Take(limit + 1)
            .ToList();
        var more = ordered.Count > limit;
        if (more)
            ordered.RemoveAt(limit);
        return new Page<T> { Items = ordered, NextCursor = more ? key(ordered[^1]) : null };
    }
}
