using Crm.Grains;

namespace Crm.Api;

public sealed record WidgetSessionRequest(string? SiteKey, string? Identifier, string? IdentityHash, string? Name, string? VisitorToken);

public sealed record WidgetSessionResponse(string VisitorId, string Token, DateTimeOffset ExpiresAt);

public sealed record WidgetMessageRequest(string? Text, string? ClientMessageId);

public sealed record WidgetMessageAccepted(string ClientMessageId);

/// <summary>A message of the visitor's chat as the widget shows it: no user ids, provider ids or idempotency keys.</summary>
public sealed record VisitorMessage(
    string Id, long Seq, MessageDirection Direction, string From, string? SenderName, string Text,
    IReadOnlyList<VisitorAttachment> Attachments, MessageStatus Status, DateTimeOffset CreatedAt, string? ClientMessageId);

public sealed record VisitorAttachment(string Id, string? FileName, string? ContentType, long? Size);

/// <summary>A page of the visitor's messages; <c>lastSeq</c> is the <c>after</c> of the next poll.</summary>
public sealed record VisitorMessagePage(IReadOnlyList<VisitorMessage> Items, string? NextCursor, long LastSeq);
