using System.Security.Claims;
using System.Text.Json;
using Crm.Grains;

namespace Crm.Api;

public static class ClientEndpoints
{
    public static void MapClientEndpoints(this IEndpointRouteBuilder app)
    {
        var clients = app.MapGroup("/api/v1/clients").WithTags("Clients");

        clients.MapPost("/", CreateAsync).Require(Permission.WriteClients).Accepts<ClientCreateRequest>("application/json");
        clients.MapGet("/", SearchAsync).Require(Permission.ReadClients);
        clients.MapGet("/lookup", LookupAsync).Require(Permission.ReadClients);
        clients.MapGet("/{id}", GetAsync).Require(Permission.ReadClients);
        clients.MapPatch("/{id}", UpdateAsync).Require(Permission.WriteClients).Accepts<ClientCreateRequest>("application/merge-patch+json", "application/json");
        clients.MapDelete("/{id}", DeleteAsync).Require(Permission.DeleteClients);
        clients.MapPost("/{id}/restore", RestoreAsync).Require(Permission.DeleteClients);
        clients.MapPost("/{id}/contacts", AddContactAsync).Require(Permission.WriteClients).Accepts<ContactRequest>("application/json");
        clients.MapDelete("/{id}/contacts/{contactId}", RemoveContactAsync).Require(Permission.WriteClients);
        clients.MapPut("/{id}/consent/{transport}", SetConsentAsync).Require(Permission.WriteClients);
        clients.MapGet("/{id}/export", ExportAsync).Require(Permission.ExportClients);
        clients.MapPost("/{id}/erase", EraseAsync).Require(Permission.EraseClients);
    }

    private static IClientGrain Client(IGrainFactory grains, ClaimsPrincipal user, string id) =>
        grains.GetGrain<IClientGrain>(Ids.Key(user.TenantId(), id));

    public static async Task<IResult> CreateAsync(JsonElement body, IGrainFactory grains, ClaimsPrincipal user)
    {
        var errors = new Errors();
        var (fields, contacts) = ClientRequests.Read(body, create: true, errors);
        if (errors.Any)
        {
            // Report the profile's rule errors in the same answer, so one round trip shows every bad field.
            ClientRules.RequireFirstName(fields, errors);
            ClientRules.Apply(new ClientProfile(), fields, errors);
            return Http.Invalid(errors);
        }

        var id = Ids.New("cl");
        var result = await Client(grains, user, id).CreateAsync(fields, contacts, user.Actor());
        return Http.From(result, c => TypedResults.Created($"/api/v1/clients/{c.Id}", c));
    }

    public static async Task<IResult> GetAsync(string id, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (!Ids.IsWellFormed(id))
            return Http.NotFound();
        return await Client(grains, user, id).GetAsync() is { } client ? TypedResults.Ok(client) : Http.NotFound();
    }

    public static async Task<IResult> UpdateAsync(string id, JsonElement body, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (!Ids.IsWellFormed(id))
            return Http.NotFound();
        var errors = new Errors();
        var (fields, _) = ClientRequests.Read(body, create: false, errors);
        if (errors.Any)
            return Http.Invalid(errors);
        return Http.From(await Client(grains, user, id).UpdateAsync(fields, user.Actor()), TypedResults.Ok);
    }

    public static async Task<IResult> DeleteAsync(string id, IGrainFactory grains, ClaimsPrincipal user) =>
        !Ids.IsWellFormed(id) ? Http.NotFound() : Http.From(await Client(grains, user, id).DeleteAsync(user.Actor()), TypedResults.Ok);

    public static async Task<IResult> RestoreAsync(string id, IGrainFactory grains, ClaimsPrincipal user) =>
        !Ids.IsWellFormed(id) ? Http.NotFound() : Http.From(await Client(grains, user, id).RestoreAsync(user.Actor()), TypedResults.Ok);

    public static async Task<IResult> SearchAsync(string? query, int? limit, string? cursor, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (!Http.TryLimit(limit, out var size, out var problem))
            return problem!;
        if (query is { Length: > 200 })
            return Http.Invalid("query", "At most 200 characters.");
        if (!Http.IsCursor(cursor))
            return Http.Invalid("cursor", "Not a cursor this API gave out.");
        return TypedResults.Ok(await grains.GetGrain<ITenantQueryGrain>(user.TenantId()).SearchClientsAsync(query, size, cursor));
    }

    public static async Task<IResult> LookupAsync(string? type, string? value, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (!EnumText.TryParse<ContactType>(type, out var contactType))
            return Http.Invalid("type", $"Must be one of: {EnumText.Allowed<ContactType>()}.");
        var normalized = ContactRules.Normalize(contactType, value, out var error);
        if (normalized is null)
            return Http.Invalid("value", error!);

        var tenantId = user.TenantId();
        var owner = await grains.GetGrain<IContactGrain>(ContactRules.GrainKey(tenantId, contactType, normalized)).GetOwnerAsync();
        var client = owner is null ? null : await grains.GetGrain<IClientGrain>(Ids.Key(tenantId, owner)).GetAsync();
        return client is { DeletedAt: null } ? TypedResults.Ok(client) : Http.NotFound("No client owns this contact.");
    }

    public static async Task<IResult> AddContactAsync(string id, JsonElement body, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (!Ids.IsWellFormed(id))
            return Http.NotFound();
        var errors = new Errors();
        var draft = ClientRequests.ReadContact(body, errors);
        if (draft is null)
            return Http.Invalid(errors);
        return Http.From(await Client(grains, user, id).AddContactAsync(draft, user.Actor()),
            c => TypedResults.Created($"/api/v1/clients/{id}", c));
    }

    public static async Task<IResult> RemoveContactAsync(string id, string contactId, IGrainFactory grains, ClaimsPrincipal user) =>
        !Ids.IsWellFormed(id) ? Http.NotFound() : Http.From(await Client(grains, user, id).RemoveContactAsync(contactId, user.Actor()), _ => TypedResults.NoContent());

    public static async Task<IResult> SetConsentAsync(string id, string transport, ConsentRequest body, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (!Ids.IsWellFormed(id))
            return Http.NotFound();
        if (!EnumText.TryParse<Transport>(transport, out var channel))
            return Http.Invalid("transport", $"Must be one of: {EnumText.Allowed<Transport>()}.");
        if (body.OptedIn is not { } optedIn)
            return Http.Invalid("optedIn", "Must be true or false.");
        return Http.From(await Client(grains, user, id).SetConsentAsync(channel, optedIn, "api", user.Actor()), TypedResults.Ok);
    }

    public static async Task<IResult> ExportAsync(string id, IGrainFactory grains, IChatStore chats, IAuditLog audit, ClaimsPrincipal user)
    {
        if (!Ids.IsWellFormed(id) || await Client(grains, user, id).GetAsync() is not { } profile)
            return Http.NotFound();
        var chat = await grains.GetGrain<IChatGrain>(Ids.Key(user.TenantId(), id)).DescribeAsync();
        return new ClientExport(user.TenantId(), profile, chat, chats, audit);
    }

    public static async Task<IResult> EraseAsync(string id, IGrainFactory grains, ClaimsPrincipal user) =>
        !Ids.IsWellFormed(id) ? Http.NotFound() : Http.From(await Client(grains, user, id).EraseAsync(user.Actor()), TypedResults.Ok);
}
