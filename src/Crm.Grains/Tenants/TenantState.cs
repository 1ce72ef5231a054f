namespace Crm.Grains;

[GenerateSerializer]
public sealed class TenantUser
{
    [Id(0)] public UserInfo Info { get; set; } = new();
    [Id(1)] public string KeyHash { get; set; } = "";
    [Id(2)] public string KeyId { get; set; } = "";
    [Id(3)] public string PasswordHash { get; set; } = "";
    [Id(4)] public List<UserSession> Sessions { get; set; } = [];

    /// <summary>The SHA-256 of the secret of the user's one open invitation link, else empty.</summary>
    [Id(5)] public string InviteHash { get; set; } = "";
    [Id(6)] public DateTimeOffset InviteExpiresAt { get; set; }
}

/// <summary>A signed-in browser: only a hash of the secret its cookie carries is kept.</summary>
[GenerateSerializer]
public sealed class UserSession
{
    [Id(0)] public string Id { get; set; } = "";
    [Id(1)] public string SecretHash { get; set; } = "";
    [Id(2)] public DateTimeOffset CreatedAt { get; set; }
}

[GenerateSerializer]
public sealed class TenantState
{
    [Id(0)] public TenantInfo? Tenant { get; set; }
    [Id(1)] public Dictionary<string, TenantUser> Users { get; set; } = [];
    [Id(2)] public RetentionPolicy Retention { get; set; } = new();
}
