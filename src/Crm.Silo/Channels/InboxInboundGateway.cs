using Crm.Grains;
using Npgsql;
using NpgsqlTypes;

namespace Crm.Silo;

/// <summary>
/// Inbound messages go into the <c>inbox</c> table through the group commit, so a burst of webhooks shares
/// commits; the message is durable when this returns and the webhook may acknowledge. Status reports are applied
/// to their chat directly, as the stream gateway does.
/// </summary>
internal sealed class InboxInboundGateway(GroupCommit writer, InboxSignal signal, StreamInboundGateway direct) : IInboundGateway
{
    public async Task AcceptMessageAsync(InboundMessage message)
    {
        var insert = new NpgsqlBatchCommand("insert into inbox (contact_key, message) values ($1, $2)");
        insert.Parameters.Add(new() { Value = ContactRules.GrainKey(message.TenantId, message.ContactType, message.ContactValue) });
        insert.Parameters.Add(new() { Value = CrmJson.Write(message), NpgsqlDbType = NpgsqlDbType.Jsonb });
        await writer.WriteAsync(insert);
        signal.Set();
        CrmMetrics.MessagesIn.Add(1, new KeyValuePair<string, object?>("transport", message.Transport.ToString()));
    }

    public Task AcceptStatusAsync(StatusReport report) => direct.AcceptStatusAsync(report);
}

/// <summary>Wakes this silo's inbox drainer when a message went in here, so it need not wait for its next poll.</summary>
internal sealed class InboxSignal
{
    private readonly SemaphoreSlim _set = new(0, 1);

    public void Set()
    {
        if (_set.CurrentCount == 0)
        {
            try
            {
                _set.Release();
            }
            catch (SemaphoreFullException)
            {
            }
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _set.WaitAsync(timeout, cancellationToken);
}
