using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace Crm.Providers;

/// <summary>
/// <c>X-Twilio-Signature</c>: Base64 of HMAC-SHA1, keyed with the auth token, over the public URL Twilio called
/// followed by every POST parameter (sorted by name, ordinal) as name then value, without separators.
/// </summary>
public static class TwilioSignature
{
    public const string Header = "X-Twilio-Signature";

    public static string Compute(string url, IEnumerable<KeyValuePair<string, StringValues>> parameters, string authToken)
    {
        var data = new StringBuilder(url);
        foreach (var (name, values) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (var value in values.Order(StringComparer.Ordinal))
                data.Append(name).Append(value);
        }
        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString()));
        return Convert.ToBase64String(mac);
    }

    public static bool IsValid(string url, IEnumerable<KeyValuePair<string, StringValues>> parameters, string authToken, string? signature)
    {
        if (string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(authToken))
            return false;
        var expected = Encoding.ASCII.GetBytes(Compute(url, parameters, authToken));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature));
    }

    /// <summary>The URL Twilio signed: our configured public base (we may sit behind a proxy) plus the path and query it called.</summary>
    public static string PublicUrl(string publicBaseUrl, string pathAndQuery) => publicBaseUrl.TrimEnd('/') + pathAndQuery;
}
