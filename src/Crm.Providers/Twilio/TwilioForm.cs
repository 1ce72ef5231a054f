using System.Net;
using Microsoft.Extensions.Primitives;

namespace Crm.Providers;

/// <summary>
/// Reads Twilio's form-encoded webhook body. ASP.NET Core's form reader refuses a value holding NUL ("The form
/// value contains invalid characters"), and a message a client typed with one would be answered 400 and lost;
/// here every value is decoded as sent, and the inbound message drops such characters later.
/// </summary>
public static class TwilioForm
{
    /// <summary>More fields than any Twilio webhook has (a message with 10 media has about 40).</summary>
    public const int MaxFields = 1000;

    /// <summary>The fields by name (values of a repeated name kept in order), or null for a body that is no form.</summary>
    public static Dictionary<string, StringValues>? Parse(string body)
    {
        var fields = new Dictionary<string, StringValues>(StringComparer.Ordinal);
        var count = 0;
        foreach (var pair in body.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            if (++count > MaxFields)
                return null;
            var equals = pair.IndexOf('=');
            var name = WebUtility.UrlDecode(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : WebUtility.UrlDecode(pair[(equals + 1)..]);
            fields[name] = fields.TryGetValue(name, out var earlier) ? StringValues.Concat(earlier, value) : new StringValues(value);
        }
        return fields;
    }
}
