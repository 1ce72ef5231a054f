namespace Crm.Api;

public sealed record SendMessageRequest(string? Text, string? Transport, string? TemplateId, IReadOnlyList<string>? Attachments);

public sealed record MarkReadRequest(long? UpToSeq);

public sealed record AddMemberRequest(string? Kind, string? UserId, string? Transport, string? ServiceName);

public sealed record LogRequest(string? Transport, string? Direction, string? Text);
