namespace Crm.Grains;

/// <summary>Changes an admin makes to a user; a null field stays as it is.</summary>
[GenerateSerializer, Immutable]
public sealed record UserChanges
{
    [Id(0)] public string? Name { get; init; }
    [Id(1)] public string? Email { get; init; }
    [Id(2)] public Role? Role { get; init; }
}

/// <summary>A new browser session: the id is public (it names the session in the audit trail), the secret is shown once.</summary>
[GenerateSerializer, Immutable]
public sealed record SessionStarted
{
    [Id(0)] public Actor Actor { get; init; } = new();
    [Id(1)] public string SessionId { get; init; } = "";
    [Id(2)] public string Secret { get; init; } = "";
}

/// <summary>Where an email address signs in: the one user of one tenant that owns it.</summary>
[GenerateSerializer, Immutable]
public sealed record UserRef
{
    [Id(0)] public string TenantId { get; init; } = "";
    [Id(1)] public string UserId { get; init; } = "";
}

public static class SignInRules
{
    public const int MinPasswordLength = 10;
    public const int MaxPasswordLength = 200;

    /// <summary>Sessions kept per user; signing in once more ends the oldest.</summary>
    public const int MaxSessions = 20;

    public static void ValidatePassword(string? password, Errors errors, string field = "password")
    {
        if (password is null || password.Length < MinPasswordLength)
            errors.Add(field, $"At least {MinPasswordLength} characters.");
        else if (password.Length > MaxPasswordLength)
            errors.Add(field, $"At most {MaxPasswordLength} characters.");
        else
            TextInput.Check(password, field, errors);
    }

    /// <summary>The lower-case address, which is also the key of its <see cref="IUserEmailGrain"/>.</summary>
    public static string? NormalizeEmail(string? email, Errors errors)
    {
        var trimmed = email?.Trim() ?? "";
        if (trimmed.Length is 0 or > 254 || !TextInput.IsClean(trimmed))
        {
            errors.Add("email", "A valid email address of at most 254 characters is required.");
            return null;
        }
        var normalized = ContactRules.NormalizeEmail(trimmed, out var error);
        if (error is not null)
            errors.Add("email", error);
        return normalized;
    }
}

/// <summary>
/// Failed sign-ins of one email address in a window that starts at the first of them; the failure that
/// reaches the limit locks the address until the window ends.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SignInFailures
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    public static readonly SignInFailures None = new();

    [Id(0)] public int Count { get; init; }
    [Id(1)] public DateTimeOffset? Since { get; init; }
    [Id(2)] public DateTimeOffset? Until { get; init; }

    public DateTimeOffset? LockedUntil(DateTimeOffset now) => Until > now ? Until : null;

    public SignInFailures Add(DateTimeOffset now, int maxFailures)
    {
        var counting = Since is { } since && now - since <= Window ? this : new SignInFailures { Since = now };
        var count = counting.Count + 1;
        return counting with { Count = count, Until = count >= maxFailures ? counting.Since + Window : counting.Until };
    }
}
