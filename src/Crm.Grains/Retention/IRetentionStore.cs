namespace Crm.Grains;

/// <summary>Deletes a tenant's expired rows a batch at a time, so no statement holds many row locks for long.</summary>
public interface IRetentionStore
{
    /// <summary>Deletes the tenant's messages created before <paramref name="before"/>; returns how many.</summary>
    Task<long> DeleteMessagesAsync(string tenantId, DateTimeOffset before, int batchSize);

    /// <summary>Deletes the tenant's attachments created before <paramref name="before"/>; returns how many.</summary>
    Task<long> DeleteAttachmentsAsync(string tenantId, DateTimeOffset before, int batchSize);
}
