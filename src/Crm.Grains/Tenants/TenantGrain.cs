namespace Crm.Grains;

[GrainType("tenant")]
internal sealed partial class TenantGrain(
    [PersistentState("tenant", StorageNames.Crm)] IPersistentState<TenantState> state,
    IAuditLog audit,
    TimeProvider clock) : Grain, ITenantGrain
{
    private string TenantId => this.GetPrimaryKeyString();
    private Dictionary<string, TenantUser> Users => state.State.Users;

    public async Task<Result<TenantCreated>> CreateAsync(string? name)
    {
        if (state.State.Tenant is not null)
            return Result<TenantCreated>.Conflict("The tenant already exists.");
        var errors = new Errors();
        TenantRules.ValidateName(name, errors);
        if (errors.Any)
            return errors.ToResult<TenantCreated>();

        var tenant = new TenantInfo { Id = TenantId, Name = name!.Trim(), CreatedAt = clock.Now() };
        state.State.Tenant = tenant;
        var admin = AddUser("Administrator", Role.Admin);
        await state.WriteStateAsync();
        await audit.AppendAsync(AuditEvent.Of(Actor.System(TenantId), tenant.CreatedAt, "tenant.created", "tenant", TenantId));
        return Result<TenantCreated>.Ok(new TenantCreated { Tenant = tenant, Admin = admin });
    }

    public Task<TenantInfo?> GetAsync() => Task.FromResult(state.State.Tenant);

    public async Task<Result<UserCreated>> CreateUserAsync(string? name, Role role, Actor actor, string? email = null, string? passwordHash = null)
    {
        if (state.State.Tenant is null)
            return Result<UserCreated>.NotFound();
        var errors = new Errors();
        TenantRules.ValidateName(name, errors);
        if (Users.Count >= TenantRules.MaxUsers)
            errors.Add("name", $"A tenant has at most {TenantRules.MaxUsers} users.");
        var normalized = email is null ? null : SignInRules.NormalizeEmail(email, errors);
        if (errors.Any)
            return errors.ToResult<UserCreated>();

        var created = AddUser(name!.Trim(), role);
        if (normalized is not null && !await ClaimEmailAsync(created.User.Id, normalized))
        {
            Users.Remove(created.User.Id);
            return Result<UserCreated>.Conflict("Another user already signs in with this email.");
        }
        var user = Users[created.User.Id];
        user.Info = user.Info with { Email = normalized, HasPassword = passwordHash is { Length: > 0 } };
        user.PasswordHash = passwordHash ?? "";
        created = created with { User = user.Info };
        await state.WriteStateAsync();
        await audit.AppendAsync(AuditEvent.Of(actor, created.User.CreatedAt, "user.created", "user", created.User.Id, data: $"{{\"role\":\"{EnumText.Of(role)}\"}}"));
        return Result<UserCreated>.Ok(created);
    }

    public Task<Page<UserInfo>> ListUsersAsync(int limit, string? cursor) =>
        Task.FromResult(Paging.ByKey(Users.Values.Select(u => u.Info), u => u.Id, limit, cursor));

    public Task<UserInfo?> GetUserAsync(string userId) => Task.FromResult(Users.GetValueOrDefault(userId)?.Info);

    public async Task<Result<UserCreated>> RotateKeyAsync(string userId, Actor actor)
    {
        if (!Users.TryGetValue(userId, out var user) || !user.Info.Active)
            return Result<UserCreated>.NotFound();

        var (key, hash) = ApiKeys.Issue(TenantId, userId);
        (user.KeyHash, user.KeyId) = (hash, Ids.New("key"));
        await WriteCredentialsAsync(userId);
        await audit.AppendAsync(AuditEvent.Of(actor, clock.Now(), "user.key_rotated", "user", userId));
        return Result<UserCreated>.Ok(new UserCreated { User = user.Info, ApiKey = key });
    }

    public async Task<Result<UserInfo>> DeactivateUserAsync(string userId, Actor actor)
    {
        if (!Users.TryGetValue(userId, out var user))
            return Result<UserInfo>.NotFound();
        if (!user.Info.Active)
            return Result<UserInfo>.Ok(user.Info);
        if (user.Info.Role == Role.Admin && ActiveAdmins() == 1)
            return Result<UserInfo>.Conflict("The last active admin of a tenant cannot be deactivated.");

        var now = clock.Now();
        user.Info = user.Info with { Active = false, DeactivatedAt = now };
        user.KeyHash = "";
        user.Sessions.Clear();
        await WriteCredentialsAsync(userId);
        await ReleaseEmailAsync(userId, user.Info.Email);
        await audit.AppendAsync(AuditEvent.Of(actor, now, "user.deactivated", "user", userId));
        return Result<UserInfo>.Ok(user.Info);
    }

    public Task<UserCredentials?> GetCredentialsAsync(string userId) =>
        Task.FromResult(Users.GetValueOrDefault(userId) is { } user
            ? new UserCredentials
            {
                TenantId = TenantId,
                UserId = userId,
                Role = user.Info.Role,
                Active = user.Info.Active,
                KeyId = user.KeyId,
                KeyHash = user.KeyHash,
                Sessions = [.. user.Sessions.Select(s => new SessionCredential { Id = s.Id, SecretHash = s.SecretHash })],
            }
            : null);

    /// <summary>
    /// Stores a change of a user's role, key or sessions, and returns once no API node can authenticate with what
    /// it cached before: the change's answer never precedes its effect.
    /// </summary>
    private async Task WriteCredentialsAsync(string userId)
    {
        try
        {
            await state.WriteStateAsync();
        }
        finally
        {
            await GrainFactory.GetGrain<ICredentialCachesGrain>(CredentialLease.RegistryKey).UserChangedAsync(TenantId, userId);
        }
    }

    public Task<RetentionPolicy> GetRetentionAsync() => Task.FromResult(state.State.Retention);

    public async Task<Result<RetentionPolicy>> SetRetentionAsync(RetentionPolicy policy, Actor actor)
    {
        if (state.State.Tenant is null)
            return Result<RetentionPolicy>.NotFound();
        var errors = new Errors();
        RetentionRules.Validate(policy, errors);
        if (errors.Any)
            return errors.ToResult<RetentionPolicy>();

        state.State.Retention = policy;
        await state.WriteStateAsync();
        var data = System.Text.Json.JsonSerializer.Serialize(new { messageDays = policy.MessageDays, attachmentDays = policy.AttachmentDays });
        await audit.AppendAsync(AuditEvent.Of(actor, clock.Now(), "retention.changed", "tenant", TenantId, data: data));
        return Result<RetentionPolicy>.Ok(policy);
    }

    private UserCreated AddUser(string name, Role role)
    {
        var info = new UserInfo { Id = Ids.New("us"), Name = name, Role = role, CreatedAt = clock.Now() };
        var (key, hash) = ApiKeys.Issue(TenantId, info.Id);
        Users[info.Id] = new TenantUser { Info = info, KeyHash = hash, KeyId = Ids.New("key") };
        return new UserCreated { User = info, ApiKey = key };
    }
}
