namespace Crm.Grains;

/// <summary>The tenant-wide reads of the clients' rows (the same rows <see cref="IClientStore"/> writes).</summary>
public interface IClientIndex
{
    /// <summary>Live (not deleted) clients whose name, phone, email or any contact contains the query, by id.</summary>
    Task<Page<ClientProfile>> SearchAsync(string tenantId, string? query, int limit, string? cursor);
}
