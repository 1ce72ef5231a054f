using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Crm.Providers.Website;

/// <summary>Who a widget token speaks for: a visitor of one tenant's site, until it expires.</summary>
public sealed record VisitorClaims(string TenantId, string VisitorId, DateTimeOffset ExpiresAt, string? Name = null, string? Identifier = null);

public enum VisitorTokenStatus { Invalid, Expired, Valid }

public sealed record VisitorTokenCheck(VisitorTokenStatus Status, VisitorClaims? Claims = null);

/// <summary>
/// Visitor tokens read <c>wv1.{base64url JSON claims}.{base64url HMAC-SHA256(tenant's token secret, "wv1." + claims)}</c>.
/// The claims name the tenant, so the secret to check them with is found without a lookup table; nothing
/// in them is trusted before the signature is.
/// </summary>
public static class VisitorTokens
{
    private const string Version = "wv1";

    public static string Issue(VisitorClaims claims, string secret)
    {
        var payload = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(
            new Payload(claims.TenantId, claims.VisitorId, claims.ExpiresAt.ToUnixTimeSeconds(), claims.Name, claims.Identifier)));
        var signed = $"{Version}.{payload}";
        return $"{signed}.{Base64Url.EncodeToString(Sign(secret, signed))}";
    }

    /// <summary>Checks the signature with the secret <paramref name="secretOf"/> gives for the token's tenant (null: no widget), then the expiry.</summary>
    public static VisitorTokenCheck Read(string? token, Func<string, string?> secretOf, DateTimeOffset now)
    {
        var parts = token?.Split('.');
        if (parts is not [Version, var payload, var signature] || token!.Length > 4096)
            return new VisitorTokenCheck(VisitorTokenStatus.Invalid);
        Payload? claims;
        byte[] given;
        try
        {
            claims = JsonSerializer.Deserialize<Payload>(Base64Url.DecodeFromChars(payload));
            given = Base64Url.DecodeFromChars(signature);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return new VisitorTokenCheck(VisitorTokenStatus.Invalid);
        }
        if (claims is not { T: { Length: > 0 } tenantId, V: { Length: > 0 } visitorId } || secretOf(tenantId) is not { Length: > 0 } secret)
            return new VisitorTokenCheck(VisitorTokenStatus.Invalid);
        if (!CryptographicOperations.FixedTimeEquals(given, Sign(secret, $"{Version}.{payload}")))
            return new VisitorTokenCheck(VisitorTokenStatus.Invalid);

        var result = new VisitorClaims(tenantId, visitorId, DateTimeOffset.FromUnixTimeSeconds(claims.Exp), claims.N, claims.I);
        return new VisitorTokenCheck(result.ExpiresAt > now ? VisitorTokenStatus.Valid : VisitorTokenStatus.Expired, result);
    }

    private static byte[] Sign(string secret, string signed) =>
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(signed));

    // Short names: the token travels in every widget request.
    private sealed record Payload(string T, string V, long Exp, string? N, string? I);
}
