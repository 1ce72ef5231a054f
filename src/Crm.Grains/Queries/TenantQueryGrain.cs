using Orleans.Concurrency;

namespace Crm.Grains;

[GrainType("tenantquery"), StatelessWorker]
internal sealed class TenantQueryGrain(IClientIndex clients, IChatStore chats, IAuditLog audit) : Grain, ITenantQueryGrain
{
    private string TenantId => this.GetPrimaryKeyString();

    public Task<Page<ClientProfile>> SearchClientsAsync(string? query, int limit, string? cursor) =>
        clients.SearchAsync(TenantId, query, limit, cursor);

    public Task<Page<ChatView>> ListChatsAsync(string userId, bool unreadOnly, int limit, string? cursor) =>
        chats.ListChatsAsync(TenantId, userId, unreadOnly, limit, cursor);

    public Task<Page<ChatMessage>> SearchMessagesAsync(string query, int limit, string? cursor) =>
        chats.SearchMessagesAsync(TenantId, query, limit, cursor);

    public Task<Page<AuditEvent>> ReadAuditAsync(AuditQuery query) => audit.ReadAsync(TenantId, query);

    public Task<MessageLocation?> LocateMessageAsync(string? messageId, Transport transport, string? providerMessageId) =>
        chats.LocateAsync(TenantId, messageId, transport, providerMessageId);
}
