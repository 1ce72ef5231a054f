using System.Security.Cryptography;

namespace Crm.Grains;

/// <summary>Opaque, time-ordered identifiers with a type prefix, and the grain keys built from them.</summary>
public static class Ids
{
    public static string New(string prefix) => $"{prefix}_{Guid.CreateVersion7():N}";

    public static string Secret(int bytes = 32) =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A chat belongs to exactly one client, so its id is derived from the client's.</summary>
    public static string ChatIdOf(string clientId) => "ch_" + clientId[(clientId.IndexOf('_') + 1)..];

    public static string? ClientIdOfChat(string chatId) =>
        chatId.StartsWith("ch_", StringComparison.Ordinal) && chatId.Length > 3 ? "cl_" + chatId[3..] : null;

    public static bool IsWellFormed(string? id) =>
        !string.IsNullOrEmpty(id) && id.Length <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    public static string Key(string tenantId, string id) => $"{tenantId}/{id}";

    public static (string TenantId, string Id) Split(string key)
    {
        var slash = key.IndexOf('/');
        return (key[..slash], key[(slash + 1)..]);
    }
}
