namespace Crm.Grains;

/// <summary>The chat's part in a GDPR export and erasure.</summary>
internal sealed partial class ChatGrain
{
    public Task<ChatView?> DescribeAsync() =>
        Task.FromResult(Chat.Created ? View("") : null);

    public async Task<ChatErasure> EraseAsync()
    {
        // Delivery stops before the rows go, so no provider is handed a message of an erased client.
        _deliveryTimer?.Dispose();
        _deliveryTimer = null;
        Chat.Outbox.Clear();
        await UnregisterReminderAsync();

        var erased = await store.EraseChatAsync(TenantId, ChatId);
        await state.ClearStateAsync();
        DeactivateOnIdle();
        return erased;
    }
}
