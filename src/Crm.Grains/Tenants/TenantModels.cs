namespace Crm.Grains;

[GenerateSerializer, Immutable]
public sealed record TenantInfo
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public string Name { get; init; } = "";
    [Id(2)] public DateTimeOffset CreatedAt { get; init; }
}

[GenerateSerializer, Immutable]
public sealed record UserInfo
{
    [Id(0)] public string Id { get; init; } = "";
    [Id(1)] public string Name { get; init; } = "";
    [Id(2)] public Role Role { get; init; }
    [Id(3)] public bool Active { get; init; } = true;
    [Id(4)] public DateTimeOffset CreatedAt { get; init; }
    [Id(5)] public DateTimeOffset? DeactivatedAt { get; init; }
    [Id(6)] public string? Email { get; init; }
    [Id(7)] public bool HasPassword { get; init; }
}

/// <summary>A new user with its API key, which is shown this once and never stored in clear.</summary>
[GenerateSerializer, Immutable]
public sealed record UserCreated
{
    [Id(0)] public UserInfo User { get; init; } = new();
    [Id(1)] public string ApiKey { get; init; } = "";
}

[GenerateSerializer, Immutable]
public sealed record TenantCreated
{
    [Id(0)] public TenantInfo Tenant { get; init; } = new();
    [Id(1)] public UserCreated Admin { get; init; } = new();
}

public static class TenantRules
{
    public const int MaxNameLength = 100;
    public const int MaxUsers = 10_000;

    public static void ValidateName(string? name, Errors errors)
    {
        if (string.IsNullOrWhiteSpace(name))
            errors.Add("name", "A name is required.");
        else if (name.Trim().Length > MaxNameLength)
            errors.Add("name", $"At most {MaxNameLength} characters.");
        else
            TextInput.Check(name, "name", errors);
    }
}
