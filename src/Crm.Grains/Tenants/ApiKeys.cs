using System.Security.Cryptography;
using System.Text;

namespace Crm.Grains;

/// <summary>
/// API keys read <c>crm.{tenantId}.{userId}.{secret}</c>: the tenant and user are found without a
/// lookup table, and only a SHA-256 hash of the high-entropy secret is ever stored.
/// </summary>
public static class ApiKeys
{
    private const string Prefix = "crm";

    public static (string Key, string Hash) Issue(string tenantId, string userId)
    {
        var secret = Ids.Secret();
        return ($"{Prefix}.{tenantId}.{userId}.{secret}", Hash(secret));
    }

    public static bool TryParse(string? key, out string tenantId, out string userId, out string secret)
    {
        tenantId = userId = secret = "";
        var parts = key?.Split('.');
        if (parts is not { Length: 4 } || parts[0] != Prefix || !Ids.IsWellFormed(parts[1]) || !Ids.IsWellFormed(parts[2]) || parts[3].Length is < 20 or > 100)
            return false;
        (tenantId, userId, secret) = (parts[1], parts[2], parts[3]);
        return true;
    }

    public static string Hash(string secret) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static bool Matches(string hash, string expectedHash) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(hash), Encoding.ASCII.GetBytes(expectedHash));
}
