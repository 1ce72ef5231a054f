namespace Crm.Grains;

/// <summary>The chat's part in a GDPR export and erasure.</summary>
internal sealed partial class ChatGrain
{
    public Task<ChatView?> DescribeAsync() =>
        Task.FromResult(_chat is null ? null : View(""));

    public async Task<ChatErasure> EraseAsync()
    {
        // From this turn on the chat has no client, so it refuses every inbound message: none is stored after the
        // erasure, and the contact grain that routed it asks the contacts table again (the values are free by now).
        (_client, _erased) = (null, true);

        // Delivery stops before the rows go, so no provider is handed a message of an erased client; a report of an
        // attempt already handed over finds nothing to settle.
        _deliveryTimer?.Dispose();
        _deliveryTimer = null;
        _outbox.Clear();
        _inFlight = null;

        var erased = await store.EraseChatAsync(TenantId, ChatId);
        (_chat, _reads) = (null, null);
        _keys.Clear();
        DeactivateOnIdle();
        return erased;
    }
}
