namespace Crm.Grains;

/// <summary>Who is acting: the tenant, user and role the caller's API key resolved to.</summary>
[GenerateSerializer, Immutable]
public sealed record Actor
{
    [Id(0)] public string TenantId { get; init; } = "";
    [Id(1)] public string UserId { get; init; } = "";
    [Id(2)] public Role Role { get; init; }
    [Id(3)] public string KeyId { get; init; } = "";

    public static Actor System(string tenantId) => new() { TenantId = tenantId, UserId = "system", Role = Role.Admin, KeyId = "system" };
}
