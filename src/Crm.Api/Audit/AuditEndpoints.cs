using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Crm.Grains;

namespace Crm.Api;

/// <summary>One audit event as the API shows it; <c>data</c> is the JSON the event was recorded with.</summary>
public sealed record AuditItem(string Id, DateTimeOffset At, string Action, string ActorUserId, string ActorKeyId,
    string SubjectType, string SubjectId, string? ClientId, JsonElement? Data)
{
    public static AuditItem Of(AuditEvent e) => new(
        e.Id.ToString(CultureInfo.InvariantCulture), e.At, e.Action, e.ActorUserId, e.ActorKeyId, e.SubjectType, e.SubjectId, e.ClientId,
        e.Data is null ? null : JsonDocument.Parse(e.Data).RootElement.Clone());
}

public static class AuditEndpoints
{
    private const int MaxIdLength = 200;

    public static void MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/audit").WithTags("Audit").Require(Permission.ReadAudit);
        api.MapGet("/", ReadAuditAsync);
    }

    public static async Task<IResult> ReadAuditAsync(string? clientId, string? from, string? to, string? cursor, int? limit,
        IGrainFactory grains, ClaimsPrincipal user)
    {
        if (!Http.TryLimit(limit, out var size, out var problem))
            return problem!;
        var errors = new Errors();
        if (clientId is not null && (clientId.Length is 0 or > MaxIdLength || clientId.Any(char.IsControl)))
            errors.Add("clientId", "Must be a client id.");
        var fromAt = ParseInstant(from, "from", errors);
        var toAt = ParseInstant(to, "to", errors);
        if (fromAt is not null && toAt is not null && toAt <= fromAt)
            errors.Add("to", "Must be later than from.");
        long? before = null;
        if (cursor is not null)
        {
            if (long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0)
                before = id;
            else
                errors.Add("cursor", "Must be a nextCursor this endpoint returned.");
        }
        if (errors.Any)
            return Http.Invalid(errors);

        var query = new AuditQuery { ClientId = clientId, From = fromAt, To = toAt, Before = before, Limit = size };
        var page = await grains.GetGrain<ITenantQueryGrain>(user.TenantId()).ReadAuditAsync(query);
        return TypedResults.Ok(new Page<AuditItem> { Items = [.. page.Items.Select(AuditItem.Of)], NextCursor = page.NextCursor });
    }

    /// <summary>An ISO-8601 instant; one without an offset is taken as UTC.</summary>
    private static DateTimeOffset? ParseInstant(string? text, string field, Errors errors)
    {
        if (text is null)
            return null;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
            return at;
        errors.Add(field, "Must be an ISO-8601 timestamp, e.g. 2026-01-31T12:00:00Z.");
        return null;
    }
}
