using System.Buffers;
using System.Text;

namespace Crm.Grains;

/// <summary>
/// Text PostgreSQL can store and a person can read: no control characters (Unicode category Cc) other than
/// tab, line feed and carriage return, and no lone surrogates (invalid UTF-16). PostgreSQL refuses NUL and
/// invalid UTF-8 outright, and one such value fails every row of the group commit it rides in.
/// What a person or the widget sends is refused (<see cref="Check"/>); what a provider already delivered is
/// kept without those characters (<see cref="Strip"/>).
/// </summary>
public static class TextInput
{
    public const string Refusal = "Must not contain control characters (other than tab, line feed and carriage return) or invalid Unicode.";

    // Cc other than \t \n \r, and every surrogate (a valid pair is skipped over where it is found).
    private static readonly SearchValues<char> Suspects = SearchValues.Create(
        [.. Range('\0', '\b'), '\v', '\f', .. Range('\u000E', '\u001F'), .. Range('\u007F', '\u009F'), .. Range('\uD800', '\uDFFF')]);

    public static bool IsClean(string? text) => text is null || IndexOfUnclean(text) < 0;

    /// <summary>Adds the refusal under <paramref name="field"/> when the value is not clean.</summary>
    public static bool Check(string? text, string field, Errors errors)
    {
        if (IsClean(text))
            return true;
        errors.Add(field, Refusal);
        return false;
    }

    /// <summary>The text without the characters <see cref="IsClean"/> refuses; the same instance when there are none.</summary>
    public static string Strip(string text)
    {
        var next = IndexOfUnclean(text);
        if (next < 0)
            return text;
        var kept = new StringBuilder(text.Length);
        var from = 0;
        while (next >= 0)
        {
            kept.Append(text, from, next - from);
            from = next + 1;
            var rest = IndexOfUnclean(text.AsSpan(from));
            next = rest < 0 ? -1 : from + rest;
        }
        return kept.Append(text, from, text.Length - from).ToString();
    }

    public static string? StripOrNull(string? text) => text is null ? null : Strip(text);

    /// <summary>The index of the first refused character, else -1.</summary>
    public static int IndexOfUnclean(ReadOnlySpan<char> text)
    {
        var offset = 0;
        while (true)
        {
            var found = text[offset..].IndexOfAny(Suspects);
            if (found < 0)
                return -1;
            var at = offset + found;
            if (!char.IsHighSurrogate(text[at]) || at + 1 >= text.Length || !char.IsLowSurrogate(text[at + 1]))
                return at;
            offset = at + 2;
        }
    }

    private static IEnumerable<char> Range(char first, char last)
    {
        for (var c = first; c <= last; c++)
            yield return c;
    }
}
