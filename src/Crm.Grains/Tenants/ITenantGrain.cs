namespace Crm.Grains;

/// <summary>A tenant (key <c>{tenant}</c>): its name, users, roles and the hashes of their API keys.</summary>
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>Creates the tenant with its first admin user.</summary>
    Task<Result<TenantCreated>> CreateAsync(string? name);

    Task<TenantInfo?> GetAsync();

    Task<Result<UserCreated>> CreateUserAsync(string? name, Role role, Actor actor);

    Task<Page<UserInfo>> ListUsersAsync(int limit, string? cursor);

    Task<UserInfo?> GetUserAsync(string userId);

    /// <summary>Issues the user a new API key; the old one stops working at once.</summary>
    Task<Result<UserCreated>> RotateKeyAsync(string userId, Actor actor);

    /// <summary>Deactivates a user; its keys stop working at once.</summary>
    Task<Result<UserInfo>> DeactivateUserAsync(string userId, Actor actor);

    /// <summary>The actor for an active user whose key secret hashes to <paramref name="secretHash"/>, else null.</summary>
    Task<Actor?> AuthenticateAsync(string userId, string secretHash);

    /// <summary>The tenant's retention policy (empty when it keeps everything). Interleaves: the retention job reads it while a change waits on that job.</summary>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<RetentionPolicy> GetRetentionAsync();

    /// <summary>Replaces the retention policy and starts or stops the tenant's retention reminder accordingly.</summary>
    Task<Result<RetentionPolicy>> SetRetentionAsync(RetentionPolicy policy, Actor actor);
}
