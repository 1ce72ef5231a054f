namespace Crm.Grains;

/// <summary>What an invitation link shows before it is accepted: whom it invites, and to which tenant.</summary>
[GenerateSerializer, Immutable]
public sealed record Invitation
{
    [Id(0)] public string Email { get; init; } = "";
    [Id(1)] public string Name { get; init; } = "";
    [Id(2)] public string TenantName { get; init; } = "";
}

/// <summary>
/// Invitation links carry <c>{tenantId}.{userId}.{secret}</c>: the tenant and user are found without a lookup
/// table, like API keys, and only a SHA-256 hash of the 32-byte secret is stored, next to the user.
/// </summary>
public static class InviteTokens
{
    public static (string Token, string Hash) Issue(string tenantId, string userId)
    {
        var secret = Ids.Secret();
        return ($"{tenantId}.{userId}.{secret}", ApiKeys.Hash(secret));
    }

    public static bool TryParse(string? token, out string tenantId, out string userId, out string secretHash)
    {
        tenantId = userId = secretHash = "";
        var parts = token?.Split('.');
        if (parts is not { Length: 3 } || !Ids.IsWellFormed(parts[0]) || !Ids.IsWellFormed(parts[1]) || parts[2].Length is < 40 or > 100)
            return false;
        (tenantId, userId, secretHash) = (parts[0], parts[1], ApiKeys.Hash(parts[2]));
        return true;
    }

    /// <summary>An invitation opens the account while it is the user's latest one, unused and unexpired.</summary>
    public static bool IsOpen(string storedHash, DateTimeOffset expiresAt, string secretHash, DateTimeOffset now) =>
        storedHash.Length > 0 && now < expiresAt && ApiKeys.Matches(secretHash, storedHash);
}
