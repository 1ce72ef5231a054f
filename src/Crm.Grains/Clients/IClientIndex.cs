namespace Crm.Grains;

/// <summary>The client search projection: kept current by <c>ClientGrain</c>, read by search.</summary>
public interface IClientIndex
{
    Task UpsertAsync(string tenantId, ClientProfile profile);

    /// <summary>Deletes the client's row (erasure).</summary>
    Task RemoveAsync(string tenantId, string clientId);

    /// <summary>Live (not deleted) clients whose name, phone, email or any contact contains the query, by id.</summary>
    Task<Page<ClientProfile>> SearchAsync(string tenantId, string? query, int limit, string? cursor);
}
