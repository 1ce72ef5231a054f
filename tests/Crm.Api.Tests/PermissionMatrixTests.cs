using System.Net;
using System.Net.Http.Json;
using Crm.Grains;

namespace Crm.Api.Tests;

/// <summary>
/// Every role against every permission of <see cref="Permissions"/>, through one endpoint that needs it.
/// The expectation comes from the same table the code checks, so the two cannot drift apart; a
/// permission without a probe here fails the suite.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class PermissionMatrixTests(ApiFixture fixture)
{
    /// <summary>One request per permission, on ids that do not exist: allowed answers 2xx/4xx but never 403, and changes nothing.</summary>
    private static readonly Dictionary<Permission, Func<HttpClient, Task<HttpResponseMessage>>> Probes = new()
    {
        [Permission.CreateTenants] = http => http.PostAsJsonAsync("/api/v1/tenants", new { name = "" }),
        [Permission.ReadClients] = http => http.GetAsync("/api/v1/clients"),
        [Permission.WriteClients] = http => http.PatchAsync("/api/v1/clients/cl_none", JsonContent.Create(new { lastName = "X" })),
        [Permission.DeleteClients] = http => http.DeleteAsync("/api/v1/clients/cl_none"),
        [Permission.ReadChats] = http => http.GetAsync("/api/v1/chats"),
        [Permission.SendMessages] = http => http.PostAsJsonAsync("/api/v1/chats/ch_none/messages", new { text = "x" }),
        [Permission.MarkRead] = http => http.PostAsJsonAsync("/api/v1/chats/ch_none/read", new { upToSeq = 1 }),
        [Permission.ManageMembers] = http => http.PostAsJsonAsync("/api/v1/chats/ch_none/members", new { kind = "service", serviceName = "bot" }),
        [Permission.ReadTemplates] = http => http.GetAsync("/api/v1/templates"),
        [Permission.ManageTemplates] = http => http.DeleteAsync("/api/v1/templates/tp_none"),
        [Permission.ManageUsers] = http => http.GetAsync("/api/v1/users"),
        [Permission.ReadAudit] = http => http.GetAsync("/api/v1/audit"),
        [Permission.ManageRetention] = http => http.GetAsync("/api/v1/tenants/current/retention"),
        [Permission.ExportClients] = http => http.GetAsync("/api/v1/clients/cl_none/export"),
        [Permission.EraseClients] = http => http.PostAsync("/api/v1/clients/cl_none/erase", null),
        [Permission.ManageChannels] = http => http.GetAsync("/api/v1/channels"),
    };

    public static TheoryData<Role, Permission> Cases()
    {
        var cases = new TheoryData<Role, Permission>();
        foreach (var role in Enum.GetValues<Role>())
        {
            foreach (var permission in Enum.GetValues<Permission>())
                cases.Add(role, permission);
        }
        return cases;
    }

    [Fact]
    public void EveryPermissionHasAProbe() =>
        Assert.Empty(Enum.GetValues<Permission>().Except(Probes.Keys));

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ARoleMayDoExactlyWhatTheTableAllows(Role role, Permission permission)
    {
        var tenant = await fixture.Factory.CreateTenantAsync();
        var http = role == Role.Admin ? tenant.Admin : (await fixture.Factory.CreateUserAsync(tenant, EnumText.Of(role))).Http;

        var response = await Probes[permission](http);

        var allowed = Permissions.Allows(EnumText.Of(role), permission);
        Assert.True(allowed == (response.StatusCode != HttpStatusCode.Forbidden),
            $"{role} {(allowed ? "may" : "may not")} {permission}, but the probe answered {(int)response.StatusCode}.");
    }
}
