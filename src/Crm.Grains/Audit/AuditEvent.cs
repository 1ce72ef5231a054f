namespace Crm.Grains;

/// <summary>One append-only audit record: who did what to which subject, and when.</summary>
[GenerateSerializer, Immutable]
public sealed record AuditEvent
{
    [Id(0)] public string TenantId { get; init; } = "";
    [Id(1)] public DateTimeOffset At { get; init; }
    [Id(2)] public string Action { get; init; } = "";
    [Id(3)] public string ActorUserId { get; init; } = "";
    [Id(4)] public string ActorKeyId { get; init; } = "";
    [Id(5)] public string SubjectType { get; init; } = "";
    [Id(6)] public string SubjectId { get; init; } = "";
    [Id(7)] public string? ClientId { get; init; }
    [Id(8)] public string? Data { get; init; }

    /// <summary>The position in the trail, assigned when stored (0 before); newer events have larger ids.</summary>
    [Id(9)] public long Id { get; init; }

    public static AuditEvent Of(Actor actor, DateTimeOffset at, string action, string subjectType, string subjectId, string? clientId = null, string? data = null) =>
        new()
        {
            TenantId = actor.TenantId, At = at, Action = action, ActorUserId = actor.UserId, ActorKeyId = actor.KeyId,
            SubjectType = subjectType, SubjectId = subjectId, ClientId = clientId, Data = data,
        };
}
