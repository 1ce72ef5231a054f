using System.Security.Claims;
using Crm.Grains;
using Microsoft.AspNetCore.Mvc;

namespace Crm.Api;

public static class ChatEndpoints
{
    public static void MapChatEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/clients/{clientId}/chat", OpenAsync).WithTags("Chats").Require(Permission.ReadChats);

        var chats = app.MapGroup("/api/v1/chats").WithTags("Chats");
        chats.MapGet("/", ListAsync).Require(Permission.ReadChats);
        chats.MapGet("/{chatId}", GetAsync).Require(Permission.ReadChats);
        chats.MapGet("/{chatId}/messages", MessagesAsync).Require(Permission.ReadChats);
        chats.MapPost("/{chatId}/messages", SendAsync).Require(Permission.SendMessages);
        chats.MapPost("/{chatId}/messages/{seq:long}/retry", RetryAsync).Require(Permission.SendMessages);
        chats.MapPost("/{chatId}/log", LogAsync).Require(Permission.SendMessages);
        chats.MapPost("/{chatId}/read", MarkReadAsync).Require(Permission.MarkRead);
        chats.MapPost("/{chatId}/members", AddMemberAsync).Require(Permission.ManageMembers);
    }

    private static IChatGrain? Chat(IGrainFactory grains, ClaimsPrincipal user, string chatId) =>
        Ids.ClientIdOfChat(chatId) is { } clientId && Ids.IsWellFormed(clientId)
            ? grains.GetGrain<IChatGrain>(Ids.Key(user.TenantId(), clientId))
            : null;

    public static async Task<IResult> OpenAsync(string clientId, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (!Ids.IsWellFormed(clientId))
            return Http.NotFound();
        return Http.From(await grains.GetGrain<IChatGrain>(Ids.Key(user.TenantId(), clientId)).OpenAsync(user.Actor()), TypedResults.Ok);
    }

    /// <summary>The chat list, newest first; <paramref name="transport"/> keeps the chats whose last message went that way.</summary>
    public static async Task<IResult> ListAsync(bool? unread, string? transport, int? limit, string? cursor, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (!Http.TryLimit(limit, out var size, out var problem))
            return problem!;
        if (cursor is not null && !ChatListCursor.TryParse(cursor, out _, out _))
            return Http.Invalid("cursor", "Not a cursor this API gave out.");
        Transport? channel = null;
        if (transport is not null)
        {
            if (!EnumText.TryParse<Transport>(transport, out var parsed))
                return Http.Invalid("transport", "Not a transport.");
            channel = parsed;
        }
        var actor = user.Actor();
        return TypedResults.Ok(await grains.GetGrain<ITenantQueryGrain>(actor.TenantId).ListChatsAsync(actor.UserId, unread ?? false, channel, size, cursor));
    }

    /// <summary>One chat, named after its client the way the chat list names it.</summary>
    public static async Task<IResult> GetAsync(string chatId, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (Chat(grains, user, chatId) is not { } chat)
            return Http.NotFound();
        var found = await chat.GetAsync(user.Actor());
        if (found.Value is { } view && await grains.GetGrain<IClientGrain>(Ids.Key(user.TenantId(), view.ClientId)).GetAsync() is { } client)
            found = found with { Value = view with { ClientName = ChatView.NameOf(client.FirstName, client.LastName) } };
        return Http.From(found, TypedResults.Ok);
    }

    public static async Task<IResult> MessagesAsync(string chatId, long? before, long? after, int? limit, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (!Http.TryLimit(limit, out var size, out var problem))
            return problem!;
        if (before is < 1 || after is < 0)
            return Http.Invalid(before is < 1 ? "before" : "after", "Must be a message seq.");
        if (Chat(grains, user, chatId) is not { } chat)
            return Http.NotFound();
        return Http.From(await chat.GetMessagesAsync(before, after, size), TypedResults.Ok);
    }

    public static async Task<IResult> SendAsync(
        string chatId, SendMessageRequest body, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        IGrainFactory grains, ClaimsPrincipal user)
    {
        if (Chat(grains, user, chatId) is not { } chat)
            return Http.NotFound();
        var errors = new Errors();
        Transport? transport = null;
        if (body.Transport is not null)
        {
            if (EnumText.TryParse<Transport>(body.Transport, out var t))
                transport = t;
            else
                errors.Add("transport", $"Must be one of: {EnumText.Allowed<Transport>()}.");
        }
        // Lower case: header names are case-insensitive, and "Idempotency-Key" would leave the camelCase errors policy as "idempotency-Key".
        if (idempotencyKey is { Length: 0 or > ChatRules.MaxIdempotencyKeyLength })
            errors.Add("idempotency-key", $"Must be 1 to {ChatRules.MaxIdempotencyKeyLength} characters.");
        else
            TextInput.Check(idempotencyKey, "idempotency-key", errors);
        if (body.Text is { Length: > ChatRules.MaxTextLength })
            errors.Add("text", $"At most {ChatRules.MaxTextLength} characters.");
        var attachments = (body.Attachments ?? []).Select(id => new AttachmentRef { Id = id }).ToList();
        if (attachments.Any(a => !Ids.IsWellFormed(a.Id)))
            errors.Add("attachments", "Each attachment is the id of an uploaded file.");
        if (errors.Any)
            return Http.Invalid(errors);

        var message = new OutgoingMessage
        {
            Text = body.Text,
            Transport = transport,
            TemplateId = body.TemplateId,
            Attachments = attachments,
            IdempotencyKey = idempotencyKey,
        };
        return Http.From(await chat.SendAsync(message, user.Actor()), m => TypedResults.Accepted($"/api/v1/chats/{chatId}/messages?after={m.Seq - 1}&limit=1", m));
    }

    public static async Task<IResult> RetryAsync(string chatId, long seq, IGrainFactory grains, ClaimsPrincipal user) =>
        Chat(grains, user, chatId) is { } chat
            ? Http.From(await chat.RetryAsync(seq, user.Actor()), m => TypedResults.Accepted((string?)null, m))
            : Http.NotFound();

    public static async Task<IResult> LogAsync(string chatId, LogRequest body, IGrainFactory grains, ClaimsPrincipal user)
    {
        var errors = new Errors();
        if (!EnumText.TryParse<Transport>(body.Transport ?? "phone", out var transport))
            errors.Add("transport", "Must be phone or other.");
        var direction = MessageDirection.Outbound;
        if (body.Direction is not null && !EnumText.TryParse(body.Direction, out direction))
            errors.Add("direction", "Must be inbound or outbound.");
        if (errors.Any)
            return Http.Invalid(errors);
        if (Chat(grains, user, chatId) is not { } chat)
            return Http.NotFound();

        var logged = new LoggedMessage { Transport = transport, Direction = direction, Text = body.Text ?? "" };
        return Http.From(await chat.LogAsync(logged, user.Actor()), m => TypedResults.Created($"/api/v1/chats/{chatId}/messages?after={m.Seq - 1}&limit=1", m));
    }

    public static async Task<IResult> MarkReadAsync(string chatId, MarkReadRequest body, IGrainFactory grains, ClaimsPrincipal user)
    {
        if (body.UpToSeq is not { } upToSeq)
            return Http.Invalid("upToSeq", "A message seq is required.");
        if (Chat(grains, user, chatId) is not { } chat)
            return Http.NotFound();
        return Http.From(await chat.MarkReadAsync(upToSeq, user.Actor()), TypedResults.Ok);
    }

    public static async Task<IResult> AddMemberAsync(string chatId, AddMemberRequest body, IGrainFactory grains, ClaimsPrincipal user)
    {
        var errors = new Errors();
        if (!EnumText.TryParse<MemberKind>(body.Kind, out var kind))
            errors.Add("kind", $"Must be one of: {EnumText.Allowed<MemberKind>()}.");
        Transport? transport = null;
        if (body.Transport is not null)
        {
            if (EnumText.TryParse<Transport>(body.Transport, out var t))
                transport = t;
            else
                errors.Add("transport", $"Must be one of: {EnumText.Allowed<Transport>()}.");
        }
        if (kind == MemberKind.User && !Ids.IsWellFormed(body.UserId))
            errors.Add("userId", "A user member needs the id of a user of this tenant.");
        if (errors.Any)
            return Http.Invalid(errors);
        if (Chat(grains, user, chatId) is not { } chat)
            return Http.NotFound();

        var member = new MemberDraft { Kind = kind, UserId = body.UserId, Transport = transport, ServiceName = body.ServiceName };
        return Http.From(await chat.AddMemberAsync(member, user.Actor()), TypedResults.Ok);
    }
}
