namespace Crm.Grains;

/// <summary>A tenant (key <c>{tenant}</c>): its name, users, roles and the hashes of their API keys.</summary>
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>Creates the tenant with its first admin user.</summary>
    Task<Result<TenantCreated>> CreateAsync(string? name);

    Task<TenantInfo?> GetAsync();

    /// <summary>Creates a user; with an email (unique across tenants) and a password hash the user can also sign in.</summary>
    Task<Result<UserCreated>> CreateUserAsync(string? name, Role role, Actor actor, string? email = null, string? passwordHash = null);

    /// <summary>Renames a user, changes its sign-in email or its role; the last active admin keeps the admin role.</summary>
    Task<Result<UserInfo>> UpdateUserAsync(string userId, UserChanges changes, Actor actor);

    /// <summary>Stores a new password hash (made by the API) and ends the user's browser sessions.</summary>
    Task<Result<UserInfo>> SetPasswordAsync(string userId, string passwordHash, Actor actor);

    /// <summary>The password hash of an active user that has one, for the API to verify; else null.</summary>
    Task<string?> GetPasswordHashAsync(string userId);

    /// <summary>Starts a browser session for an active user whose password the API has just verified.</summary>
    Task<Result<SessionStarted>> StartSessionAsync(string userId);

    /// <summary>Ends one browser session (sign-out); its cookie stops working at once.</summary>
    Task EndSessionAsync(string userId, string sessionId);

    /// <summary>Opens a one-time invitation link for an active user with an email (replacing an older one) and ends its sessions.</summary>
    Task<Result<UserInfo>> InviteAsync(string userId, string secretHash, DateTimeOffset expiresAt, Actor actor);

    /// <summary>Who an open, unexpired invitation with this secret hash invites, else null.</summary>
    Task<Invitation?> FindInvitationAsync(string userId, string secretHash);

    /// <summary>Sets the password of an open invitation's user (hash made by the API), consumes the invitation and starts a session.</summary>
    Task<Result<SessionStarted>> AcceptInvitationAsync(string userId, string secretHash, string passwordHash);

    Task<Page<UserInfo>> ListUsersAsync(int limit, string? cursor);

    Task<UserInfo?> GetUserAsync(string userId);

    /// <summary>Issues the user a new API key; the old one stops working at once.</summary>
    Task<Result<UserCreated>> RotateKeyAsync(string userId, Actor actor);

    /// <summary>Deactivates a user; its keys stop working at once.</summary>
    Task<Result<UserInfo>> DeactivateUserAsync(string userId, Actor actor);

    /// <summary>
    /// What authenticating the user needs (role, active flag, key and session hashes), for an API node to cache and
    /// check keys and cookies against; null for a user the tenant does not have. Every change of it returns only
    /// once no node holds the old one (<see cref="ICredentialCachesGrain"/>).
    /// </summary>
    Task<UserCredentials?> GetCredentialsAsync(string userId);

    /// <summary>The tenant's retention policy (empty when it keeps everything).</summary>
    Task<RetentionPolicy> GetRetentionAsync();

    /// <summary>
    /// Validates, stores and audits the retention policy. <see cref="IRetentionGrain.SetPolicyAsync"/> calls it and
    /// then starts or stops the reminder: the calls run one way, from the retention job to the tenant.
    /// </summary>
    Task<Result<RetentionPolicy>> SetRetentionAsync(RetentionPolicy policy, Actor actor);
}
