using System.Security.Cryptography;
using System.Text;

namespace Crm.Providers.Meta;

/// <summary>The subscription check Meta makes before it sends webhooks: <c>GET ?hub.mode=subscribe&amp;hub.verify_token=T&amp;hub.challenge=C</c>.</summary>
public static class MetaHandshake
{
    /// <summary>The challenge to echo when the mode and token are right, else null (answer 403).</summary>
    public static string? Answer(MetaSettings settings, string? mode, string? verifyToken, string? challenge)
    {
        if (mode != "subscribe" || string.IsNullOrEmpty(challenge) || string.IsNullOrEmpty(settings.VerifyToken) || verifyToken is null)
            return null;
        var same = CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(verifyToken)), SHA256.HashData(Encoding.UTF8.GetBytes(settings.VerifyToken)));
        return same ? challenge : null;
    }
}
