namespace Crm.Grains;

/// <summary>Deletes a tenant's expired rows a batch at a time, so no statement holds many row locks for long.</summary>
public interface IRetentionStore
{
    /// <summary>Deletes the tenant's messages created before <paramref name="before"/>; returns how many.</summary>
    Task<long> DeleteMessagesAsync(string tenantId, DateTimeOffset before, int batchSize);

    /// <summary>
    /// Clears the list preview (<c>chats.last_message</c>) of at most <paramref name="batchSize"/> of the tenant's chats
    /// whose last message was created before <paramref name="before"/>, so expired text is not kept there; returns the
    /// client of each chat it cleared and the seq of the message whose preview went (fewer than the batch when none is left).
    /// </summary>
    Task<IReadOnlyList<(string ClientId, long Seq)>> ClearExpiredPreviewsAsync(string tenantId, DateTimeOffset before, int batchSize);

    /// <summary>Deletes the tenant's attachments created before <paramref name="before"/>; returns how many.</summary>
    Task<long> DeleteAttachmentsAsync(string tenantId, DateTimeOffset before, int batchSize);
}
