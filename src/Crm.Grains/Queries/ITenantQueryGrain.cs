namespace Crm.Grains;

/// <summary>Reads over a tenant's projections that no single grain can answer (key <c>{tenant}</c>).</summary>
public interface ITenantQueryGrain : IGrainWithStringKey
{
    Task<Page<ClientProfile>> SearchClientsAsync(string? query, int limit, string? cursor);

    Task<Page<ChatView>> ListChatsAsync(string userId, bool unreadOnly, Transport? transport, int limit, string? cursor);

    Task<Page<ChatMessage>> SearchMessagesAsync(string query, int limit, string? cursor);

    /// <summary>The tenant's audit trail, newest first.</summary>
    Task<Page<AuditEvent>> ReadAuditAsync(AuditQuery query);

    /// <summary>Which chat and seq a message is, by our id or by its provider's id.</summary>
    Task<MessageLocation?> LocateMessageAsync(string? messageId, Transport transport, string? providerMessageId);
}
