namespace Crm.Grains;

/// <summary>
/// What authenticating one user needs: its role and active flag, the hash of its API key and of each browser
/// session's secret. An API node caches it and checks keys and cookies against it without asking the tenant.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record UserCredentials
{
    [Id(0)] public string TenantId { get; init; } = "";
    [Id(1)] public string UserId { get; init; } = "";
    [Id(2)] public Role Role { get; init; }
    [Id(3)] public bool Active { get; init; }
    [Id(4)] public string KeyId { get; init; } = "";

    /// <summary>SHA-256 of the API key's secret; empty once the user is deactivated.</summary>
    [Id(5)] public string KeyHash { get; init; } = "";
    [Id(6)] public IReadOnlyList<SessionCredential> Sessions { get; init; } = [];
}

[GenerateSerializer, Immutable]
public sealed record SessionCredential
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public string SecretHash { get; init; } = "";
}

/// <summary>Who a key or a session cookie authenticates, decided from the user's credentials alone.</summary>
public static class Credentials
{
    /// <summary>The actor of an active user whose key secret hashes to <paramref name="secretHash"/>, else null.</summary>
    public static Actor? ForKey(UserCredentials? user, string secretHash) =>
        user is { Active: true, KeyHash.Length: > 0 } && ApiKeys.Matches(secretHash, user.KeyHash)
            ? Actor(user, user.KeyId)
            : null;

    /// <summary>The actor of a live session of an active user, else null; the session id is the actor's key id.</summary>
    public static Actor? ForSession(UserCredentials? user, string sessionId, string secretHash) =>
        user is { Active: true } && user.Sessions.FirstOrDefault(s => s.Id == sessionId) is { } session && ApiKeys.Matches(secretHash, session.SecretHash)
            ? Actor(user, sessionId)
            : null;

    private static Actor Actor(UserCredentials user, string keyId) =>
        new() { TenantId = user.TenantId, UserId = user.UserId, Role = user.Role, KeyId = keyId };
}
