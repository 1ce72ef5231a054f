namespace Crm.Grains;

[GenerateSerializer]
public sealed class TenantUser
{
    [Id(0)] public UserInfo Info { get; set; } = new();
    [Id(1)] public string KeyHash { get; set; } = "";
    [Id(2)] public string KeyId { get; set; } = "";
}

[GenerateSerializer]
public sealed class TenantState
{
    [Id(0)] public TenantInfo? Tenant { get; set; }
    [Id(1)] public Dictionary<string, TenantUser> Users { get; set; } = [];
    [Id(2)] public RetentionPolicy Retention { get; set; } = new();
}
