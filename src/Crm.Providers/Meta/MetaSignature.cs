using System.Security.Cryptography;
using System.Text;

namespace Crm.Providers.Meta;

/// <summary>
/// Meta signs every webhook body: <c>X-Hub-Signature-256: sha256=&lt;hex HMAC-SHA256(app secret, raw body)&gt;</c>.
/// The check runs on the raw bytes, before anything is parsed.
/// </summary>
public static class MetaSignature
{
    public const string HeaderName = "X-Hub-Signature-256";
    private const string Prefix = "sha256=";

    public static bool IsValid(string appSecret, ReadOnlySpan<byte> body, string? header)
    {
        // An empty secret would make the HMAC computable by anyone.
        if (string.IsNullOrEmpty(appSecret) || header is null || !header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            return false;
        var hex = header.AsSpan(Prefix.Length).Trim();
        if (hex.Length != 2 * HMACSHA256.HashSizeInBytes)
            return false;
        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (Convert.FromHexString(hex, given, out _, out var written) != System.Buffers.OperationStatus.Done || written != given.Length)
            return false;
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body, expected);
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }
}
