namespace Crm.Grains;

/// <summary>
/// The dedup keys of a chat's newest messages, each to the seq it produced, as 64-bit hashes in a ring that grows from 4
/// to <see cref="ChatRules.RecentKeysKept"/> entries (16 bytes each, whatever the keys' length). A hash only says where
/// to look: the caller reads that message and compares, so a collision costs a read, never a wrong answer.
/// </summary>
public sealed class RecentKeys
{
    private const int FirstSize = 4;

    private (ulong Hash, long Seq)[]? _ring;
    private int _next;
    private int _count;

    public void Remember(string key, long seq)
    {
        if (_ring is null)
        {
            _ring = new (ulong, long)[FirstSize];
        }
        else if (_count == _ring.Length && _ring.Length < ChatRules.RecentKeysKept)
        {
            // Full: the oldest entry is at _next. The grown ring holds them oldest first.
            var grown = new (ulong, long)[Math.Min(2 * _ring.Length, ChatRules.RecentKeysKept)];
            for (var i = 0; i < _count; i++)
                grown[i] = _ring[(_next + i) % _ring.Length];
            (_ring, _next) = (grown, _count);
        }
        _ring[_next] = (Hash(key), seq);
        _next = (_next + 1) % _ring.Length;
        _count = Math.Min(_count + 1, _ring.Length);
    }

    /// <summary>The seq the key was last remembered with, if it is still among the newest.</summary>
    public long? Find(string key)
    {
        if (_ring is null)
            return null;
        var hash = Hash(key);
        for (var i = 1; i <= _count; i++)
        {
            var (h, seq) = _ring[(_next - i + _ring.Length) % _ring.Length];
            if (h == hash)
                return seq;
        }
        return null;
    }

    public void Clear() => (_ring, _next, _count) = (null, 0, 0);

    /// <summary>FNV-1a over the UTF-16 code units: stable, allocation-free, and good enough to pick a candidate.</summary>
    private static ulong Hash(string key)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in key)
            hash = (hash ^ c) * 1099511628211UL;
        return hash;
    }
}
