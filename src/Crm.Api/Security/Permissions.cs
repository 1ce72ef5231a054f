using Crm.Grains;

namespace Crm.Api;

public enum Permission
{
    CreateTenants,
    ReadClients,
    WriteClients,
    DeleteClients,
    ExportClients,
    EraseClients,
    ReadChats,
    SendMessages,
    MarkRead,
    ManageMembers,
    ReadTemplates,
    ManageTemplates,
    ManageUsers,
    ReadAudit,
    ManageRetention,
    ManageChannels,
}

/// <summary>What each role may do: the one table every endpoint is checked against.</summary>
public static class Permissions
{
    public const string SystemRole = "system";

    private static readonly Permission[] Sales =
        [Permission.ReadClients, Permission.WriteClients, Permission.ReadChats, Permission.SendMessages];

    private static readonly Permission[] Agent =
        [.. Sales, Permission.MarkRead, Permission.ManageMembers, Permission.ReadTemplates];

    // A lead reads every chat and the audit trail of the tenant, which is what an export holds.
    private static readonly Permission[] Lead = [.. Agent, Permission.ReadAudit, Permission.ExportClients];

    public static readonly IReadOnlyDictionary<Role, IReadOnlySet<Permission>> ByRole = new Dictionary<Role, IReadOnlySet<Permission>>
    {
        [Role.Sales] = Sales.ToHashSet(),
        [Role.Agent] = Agent.ToHashSet(),
        [Role.Lead] = Lead.ToHashSet(),
        [Role.Admin] = Enum.GetValues<Permission>().Where(p => p != Permission.CreateTenants).ToHashSet(),
    };

    public static bool Allows(string? role, Permission permission) =>
        role == SystemRole
            ? permission == Permission.CreateTenants
            : EnumText.TryParse<Role>(role, out var r) && ByRole[r].Contains(permission);
}
