namespace Crm.Grains;

/// <summary>People's sign-in: email, password hash and browser sessions of the tenant's users.</summary>
internal sealed partial class TenantGrain
{
    public async Task<Result<UserInfo>> UpdateUserAsync(string userId, UserChanges changes, Actor actor)
    {
        if (!Users.TryGetValue(userId, out var user) || !user.Info.Active)
            return Result<UserInfo>.NotFound();
        var errors = new Errors();
        if (changes.Name is not null)
            TenantRules.ValidateName(changes.Name, errors);
        var email = changes.Email is null ? user.Info.Email : SignInRules.NormalizeEmail(changes.Email, errors);
        if (errors.Any)
            return errors.ToResult<UserInfo>();
        if (user.Info.Role == Role.Admin && changes.Role is { } role && role != Role.Admin && ActiveAdmins() == 1)
            return Result<UserInfo>.Conflict("The last active admin of a tenant keeps the admin role.");
        if (email != user.Info.Email && email is not null && !await ClaimEmailAsync(userId, email))
            return Result<UserInfo>.Conflict("Another user already signs in with this email.");

        var previousEmail = user.Info.Email;
        user.Info = user.Info with { Name = changes.Name?.Trim() ?? user.Info.Name, Email = email, Role = changes.Role ?? user.Info.Role };
        await WriteCredentialsAsync(userId);
        if (previousEmail != email)
            await ReleaseEmailAsync(userId, previousEmail);
        var data = System.Text.Json.JsonSerializer.Serialize(new { role = EnumText.Of(user.Info.Role), emailChanged = previousEmail != email });
        await audit.AppendAsync(AuditEvent.Of(actor, clock.Now(), "user.updated", "user", userId, data: data));
        return Result<UserInfo>.Ok(user.Info);
    }

    public async Task<Result<UserInfo>> SetPasswordAsync(string userId, string passwordHash, Actor actor)
    {
        if (!Users.TryGetValue(userId, out var user) || !user.Info.Active)
            return Result<UserInfo>.NotFound();

        user.PasswordHash = passwordHash;
        user.Info = user.Info with { HasPassword = true };
        user.Sessions.Clear();
        await WriteCredentialsAsync(userId);
        var action = actor.UserId == userId ? "user.password_changed" : "user.password_reset";
        await audit.AppendAsync(AuditEvent.Of(actor, clock.Now(), action, "user", userId));
        return Result<UserInfo>.Ok(user.Info);
    }

    public async Task<Result<UserInfo>> InviteAsync(string userId, string secretHash, DateTimeOffset expiresAt, Actor actor)
    {
        if (!Users.TryGetValue(userId, out var user) || !user.Info.Active)
            return Result<UserInfo>.NotFound();
        if (user.Info.Email is null)
            return Result<UserInfo>.Invalid("email", "An invitation needs the email the user signs in with.");

        (user.InviteHash, user.InviteExpiresAt) = (secretHash, expiresAt);
        user.Sessions.Clear();
        await WriteCredentialsAsync(userId);
        await audit.AppendAsync(AuditEvent.Of(actor, clock.Now(), "user.invited", "user", userId));
        return Result<UserInfo>.Ok(user.Info);
    }

    public Task<Invitation?> FindInvitationAsync(string userId, string secretHash) =>
        Task.FromResult(OpenInvitation(userId, secretHash) is { } user
            ? new Invitation { Email = user.Info.Email ?? "", Name = user.Info.Name, TenantName = state.State.Tenant?.Name ?? "" }
            : null);

    public async Task<Result<SessionStarted>> AcceptInvitationAsync(string userId, string secretHash, string passwordHash)
    {
        if (OpenInvitation(userId, secretHash) is not { } user)
            return Result<SessionStarted>.NotFound();

        (user.InviteHash, user.InviteExpiresAt) = ("", default);
        user.PasswordHash = passwordHash;
        user.Info = user.Info with { HasPassword = true };
        user.Sessions.Clear();
        await WriteCredentialsAsync(userId);
        await audit.AppendAsync(AuditEvent.Of(SessionActor(userId, user, "invite"), clock.Now(), "user.invite_accepted", "user", userId));
        return await StartSessionAsync(userId);
    }

    public Task<string?> GetPasswordHashAsync(string userId) =>
        Task.FromResult(Users.GetValueOrDefault(userId) is { Info.Active: true, PasswordHash.Length: > 0 } user ? user.PasswordHash : null);

    public async Task<Result<SessionStarted>> StartSessionAsync(string userId)
    {
        if (!Users.TryGetValue(userId, out var user) || !user.Info.Active)
            return Result<SessionStarted>.NotFound();

        var now = clock.Now();
        var session = new UserSession { Id = Ids.New("ses"), CreatedAt = now };
        var secret = Ids.Secret();
        session.SecretHash = ApiKeys.Hash(secret);
        user.Sessions.Add(session);
        if (user.Sessions.Count > SignInRules.MaxSessions)
            user.Sessions.RemoveAt(0);
        await WriteCredentialsAsync(userId);
        var actor = SessionActor(userId, user, session.Id);
        await audit.AppendAsync(AuditEvent.Of(actor, now, "user.signed_in", "user", userId));
        return Result<SessionStarted>.Ok(new SessionStarted { Actor = actor, SessionId = session.Id, Secret = secret });
    }

    public async Task EndSessionAsync(string userId, string sessionId)
    {
        if (!Users.TryGetValue(userId, out var user) || user.Sessions.RemoveAll(s => s.Id == sessionId) == 0)
            return;
        await WriteCredentialsAsync(userId);
        await audit.AppendAsync(AuditEvent.Of(SessionActor(userId, user, sessionId), clock.Now(), "user.signed_out", "user", userId));
    }

    private TenantUser? OpenInvitation(string userId, string secretHash) =>
        Users.GetValueOrDefault(userId) is { Info.Active: true } user && InviteTokens.IsOpen(user.InviteHash, user.InviteExpiresAt, secretHash, clock.Now())
            ? user
            : null;

    private Actor SessionActor(string userId, TenantUser user, string sessionId) =>
        new() { TenantId = TenantId, UserId = userId, Role = user.Info.Role, KeyId = sessionId };

    private int ActiveAdmins() => Users.Values.Count(u => u.Info is { Active: true, Role: Role.Admin });

    private Task<bool> ClaimEmailAsync(string userId, string email) =>
        GrainFactory.GetGrain<IUserEmailGrain>(email).ClaimAsync(new UserRef { TenantId = TenantId, UserId = userId });

    private async Task ReleaseEmailAsync(string userId, string? email)
    {
        if (email is not null)
            await GrainFactory.GetGrain<IUserEmailGrain>(email).ReleaseAsync(new UserRef { TenantId = TenantId, UserId = userId });
    }
}
