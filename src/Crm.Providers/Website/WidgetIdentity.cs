using System.Security.Cryptography;
using System.Text;

namespace Crm.Providers.Website;

/// <summary>
/// A site that knows its user proves the identifier with <c>hex(HMAC-SHA256(site secret, identifier))</c>,
/// computed on its backend; the browser only carries the result.
/// </summary>
public static class WidgetIdentity
{
    public static bool IsProven(string? siteSecret, string identifier, string? identityHash)
    {
        if (string.IsNullOrEmpty(siteSecret) || identityHash is not { Length: 2 * HMACSHA256.HashSizeInBytes })
            return false;
        byte[] given;
        try
        {
            given = Convert.FromHexString(identityHash);
        }
        catch (FormatException)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(given, HMACSHA256.HashData(Encoding.UTF8.GetBytes(siteSecret), Encoding.UTF8.GetBytes(identifier)));
    }

    /// <summary>
    /// The same identified user is the same visitor on every device and session. Not keyed with a secret, so
    /// rotating the site or token secret does not split a user's history.
    /// </summary>
    public static string VisitorIdFor(string tenantId, string identifier) =>
        "vis_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{tenantId}\n{identifier}")))[..32];

    public static string NewVisitorId() => Crm.Grains.Ids.New("vis");
}
