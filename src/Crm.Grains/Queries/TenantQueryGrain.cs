using Orleans.Concurrency;

namespace Crm.Grains;

// Each call is one PostgreSQL query; with the default of one worker per core, a query waiting on the database held
// back every other query of the silo behind it. Sixteen workers let them wait side by side (the pool has 100).
[GrainType("tenantquery"), StatelessWorker(16)]
internal sealed class TenantQueryGrain(IClientIndex clients, IChatStore chats, IAuditLog audit) : Grain, ITenantQueryGrain
{
    private string TenantId => this.GetPrimaryKeyString();

    public Task<Page<ClientProfile>> SearchClientsAsync(string? query, int limit, string? cursor) =>
        clients.SearchAsync(TenantId, query, limit, cursor);

    public Task<Page<ChatView>> ListChatsAsync(string userId, bool unreadOnly, Transport? transport, int limit, string? cursor) =>
        chats.ListChatsAsync(TenantId, userId, unreadOnly, transport, limit, cursor);

    public Task<Page<ChatMessage>> SearchMessagesAsync(string query, int limit, string? cursor) =>
        chats.SearchMessagesAsync(TenantId, query, limit, cursor);

    public Task<Page<AuditEvent>> ReadAuditAsync(AuditQuery query) => audit.ReadAsync(TenantId, query);

    public Task<MessageLocation?> LocateMessageAsync(string? messageId, Transport transport, string? providerMessageId) =>
        chats.LocateAsync(TenantId, messageId, transport, providerMessageId);
}
