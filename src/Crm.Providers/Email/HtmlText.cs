using System.Text;
using MimeKit.Text;

namespace Crm.Providers;

/// <summary>The readable text of an HTML mail body: text kept, markup, scripts and styles dropped, blocks on lines of their own.</summary>
public static class HtmlText
{
    private static readonly HashSet<HtmlTagId> Hidden = [HtmlTagId.Script, HtmlTagId.Style, HtmlTagId.Head, HtmlTagId.Title];
    private static readonly HashSet<HtmlTagId> Blocks =
    [
        HtmlTagId.Br, HtmlTagId.P, HtmlTagId.Div, HtmlTagId.LI, HtmlTagId.TR, HtmlTagId.BlockQuote, HtmlTagId.Pre,
        HtmlTagId.H1, HtmlTagId.H2, HtmlTagId.H3, HtmlTagId.H4, HtmlTagId.H5, HtmlTagId.H6, HtmlTagId.Table, HtmlTagId.HR,
    ];

    public static string ToPlain(string html)
    {
        var text = new StringBuilder();
        var hidden = 0;
        using var reader = new StringReader(html);
        var tokenizer = new HtmlTokenizer(reader);
        while (tokenizer.ReadNextToken(out var token))
        {
            if (token is HtmlTagToken tag)
            {
                if (Hidden.Contains(tag.Id) && !tag.IsEmptyElement)
                    hidden = Math.Max(0, hidden + (tag.IsEndTag ? -1 : 1));
                else if (Blocks.Contains(tag.Id) && text.Length > 0 && text[^1] != '\n')
                    text.Append('\n');
            }
            else if (token is HtmlDataToken data && token.Kind == HtmlTokenKind.Data && hidden == 0)
            {
                text.Append(CollapseSpaces(data.Data));
            }
        }
        return string.Join('\n', text.ToString().Split('\n').Select(line => line.Trim())).Trim();
    }

    private static string CollapseSpaces(string data)
    {
        var collapsed = new StringBuilder(data.Length);
        foreach (var c in data)
        {
            if (!char.IsWhiteSpace(c))
                collapsed.Append(c);
            else if (collapsed.Length == 0 || collapsed[^1] != ' ')
                collapsed.Append(' ');
        }
        return collapsed.ToString();
    }
}
