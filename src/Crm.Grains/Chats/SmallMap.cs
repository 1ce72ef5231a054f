using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Crm.Grains;

/// <summary>
/// A read-only map of a few entries in one array, looked up by a linear scan. A chat holds a handful of addresses and
/// thread facts for as long as it is active; a <see cref="Dictionary{TKey,TValue}"/> with its buckets cost four times
/// the bytes (about 270 against 64 for one entry).
/// </summary>
public sealed class SmallMap<TKey, TValue> : IReadOnlyDictionary<TKey, TValue> where TKey : notnull
{
    private readonly KeyValuePair<TKey, TValue>[] _entries;

    private SmallMap(KeyValuePair<TKey, TValue>[] entries) => _entries = entries;

    public static SmallMap<TKey, TValue> Empty { get; } = new([]);

    /// <summary>The entries, a later one winning over an earlier one with the same key.</summary>
    public static SmallMap<TKey, TValue> Of(IEnumerable<KeyValuePair<TKey, TValue>> entries)
    {
        var list = new List<KeyValuePair<TKey, TValue>>();
        foreach (var entry in entries)
        {
            var at = list.FindIndex(e => EqualityComparer<TKey>.Default.Equals(e.Key, entry.Key));
            if (at >= 0)
                list[at] = entry;
            else
                list.Add(entry);
        }
        return list.Count == 0 ? Empty : new SmallMap<TKey, TValue>([.. list]);
    }

    /// <summary>This map with <paramref name="key"/> set to <paramref name="value"/>; itself when it holds that already.</summary>
    public SmallMap<TKey, TValue> With(TKey key, TValue value) =>
        TryGetValue(key, out var known) && EqualityComparer<TValue>.Default.Equals(known, value) ? this : Of([.. _entries, new(key, value)]);

    public TValue this[TKey key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"No entry '{key}'.");

    public IEnumerable<TKey> Keys => _entries.Select(e => e.Key);

    public IEnumerable<TValue> Values => _entries.Select(e => e.Value);

    public int Count => _entries.Length;

    public bool ContainsKey(TKey key) => TryGetValue(key, out _);

    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value)
    {
        foreach (var entry in _entries)
        {
            if (EqualityComparer<TKey>.Default.Equals(entry.Key, key))
            {
                value = entry.Value;
                return true;
            }
        }
        value = default;
        return false;
    }

    public IEnumerator<KeyValuePair<TKey, TValue>> GetEnumerator() => ((IEnumerable<KeyValuePair<TKey, TValue>>)_entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
