namespace Crm.Grains;

/// <summary>
/// The one chat of a client (key <c>{tenant}/{clientId}</c>): members, the message sequence, read
/// horizons per user, and the recent keys that make sends and provider redeliveries idempotent.
/// </summary>
/// <remarks>
/// Called by the API, by the contact grain (inbound messages), by its client (<see cref="ClientChangedAsync"/>,
/// <see cref="EraseAsync"/>) and by the delivery worker; it calls none of them back but the worker, one way.
/// </remarks>
public interface IChatGrain : IGrainWithStringKey
{
    /// <summary>The chat, created with the client as its first member if it does not exist yet.</summary>
    Task<Result<ChatView>> OpenAsync(Actor actor);

    /// <summary>The chat as the actor sees it; NotFound if it was never created.</summary>
    Task<Result<ChatView>> GetAsync(Actor actor);

    /// <summary>Stores an outbound message as queued; a repeated idempotency key returns the first message.</summary>
    Task<Result<ChatMessage>> SendAsync(OutgoingMessage message, Actor actor);

    /// <summary>
    /// Stores an inbound message once, however often the provider delivers it (<see cref="InboundReceipt.Stored"/> says
    /// whether this call did). Conflict, with nothing stored, when the client no longer holds the contact value the
    /// message came from (it freed it, or was erased): the contact grain then asks the contacts table who does.
    /// </summary>
    Task<Result<InboundReceipt>> ReceiveAsync(InboundMessage message);

    /// <summary>
    /// The client's facts after a committed change, pushed by the client; the chat keeps the newest version it has seen
    /// (its own read of the rows may be newer).
    /// </summary>
    Task ClientChangedAsync(ClientFacts facts);

    /// <summary>Messages by seq, ascending, after <paramref name="after"/> or else before <paramref name="before"/>.</summary>
    Task<Result<Page<ChatMessage>>> GetMessagesAsync(long? before, long? after, int limit);

    /// <summary>Moves the actor's read horizon forward to <paramref name="upToSeq"/> and sets readAt on those messages.</summary>
    Task<Result<ChatView>> MarkReadAsync(long upToSeq, Actor actor);

    /// <summary>Applies a provider's status report to message <paramref name="seq"/>; it only ever moves forward.</summary>
    Task<Result<ChatMessage>> ApplyStatusAsync(long seq, StatusReport report);

    /// <summary>
    /// The delivery worker's report of attempt <paramref name="attempt"/> at message <paramref name="seq"/>: sent,
    /// failed, or to be tried again later. A report for an attempt the chat no longer waits for changes nothing.
    /// </summary>
    Task ReportDeliveryAsync(long seq, int attempt, SendOutcome outcome);

    /// <summary>Records a phone call or an out-of-band message an agent had with the client; nothing is sent.</summary>
    Task<Result<ChatMessage>> LogAsync(LoggedMessage message, Actor actor);

    /// <summary>Queues a failed outbound message for delivery again.</summary>
    Task<Result<ChatMessage>> RetryAsync(long seq, Actor actor);

    /// <summary>Adds a member; the same participant twice changes nothing.</summary>
    Task<Result<ChatView>> AddMemberAsync(MemberDraft member, Actor actor);

    /// <summary>The chat whether or not its client is live (GDPR export); null if it was never created.</summary>
    Task<ChatView?> DescribeAsync();

    /// <summary>
    /// Drops the chat's list preview if it shows message <paramref name="seq"/> or an older one: retention deleted that
    /// message, so its text is shown nowhere any more. Called by the retention job after it cleared the chat's row.
    /// </summary>
    Task ForgetPreviewAsync(long seq);

    /// <summary>
    /// Activates the chat if it is not active: its activation loads the outbox and runs it. The outbox sweep calls it
    /// for a chat whose outbox is overdue, which happens when the silo the chat was active on died.
    /// </summary>
    Task WakeAsync();

    /// <summary>
    /// Stops delivery, deletes the chat's messages, list row, read horizons and the files only its messages refer to,
    /// and forgets it. From this call on the chat has no client: no inbound message is stored in it afterwards.
    /// </summary>
    Task<ChatErasure> EraseAsync();
}
