using Crm.Grains;
using Crm.Providers.Website;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Crm.Api;

/// <summary>
/// The website chat widget: a session from the site's public key (optionally with a proven identity),
/// then messages in and the visitor's chat out, with the visitor token as the only credential.
/// Called cross-origin from the tenant's site, with a bearer token and no cookies.
/// </summary>
public static class WidgetEndpoints
{
    private const int MaxNameLength = 100;
    private const int MaxIdentifierLength = 256;
    private const int MaxClientMessageIdLength = 100;

    public static void MapWidgetEndpoints(this IEndpointRouteBuilder app)
    {
        var widget = app.MapGroup("/api/v1/widget").WithTags("Widget").AllowAnonymous()
            .RequireCors(cors => cors.AllowAnyOrigin().AllowAnyHeader().WithMethods("GET", "POST"));
        widget.MapPost("/sessions", StartSession);
        widget.MapPost("/messages", PostMessageAsync);
        widget.MapGet("/messages", MessagesAsync);
    }

    public static Results<Ok<WidgetSessionResponse>, ValidationProblem, ProblemHttpResult> StartSession(
        WidgetSessionRequest body, HttpContext context, WidgetSessions sessions, WidgetLimits limits)
    {
        var errors = new Errors();
        if (string.IsNullOrWhiteSpace(body.SiteKey))
            errors.Add("siteKey", "The site's widget key is required.");
        if (body.Identifier is { } identifier && (identifier.Trim().Length == 0 || identifier.Length > MaxIdentifierLength))
            errors.Add("identifier", $"1 to {MaxIdentifierLength} characters.");
        if (body.Name is { Length: > MaxNameLength })
            errors.Add("name", $"At most {MaxNameLength} characters.");
        if (errors.Any)
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The request is not valid.");

        if (sessions.Site(body.SiteKey!) is var (_, site) && WidgetLimits.Origin(context, site) is { } forbidden)
            return forbidden;
        var name = string.IsNullOrWhiteSpace(body.Name) ? null : body.Name.Trim();
        var (session, error) = sessions.Start(body.SiteKey!, body.Identifier, body.IdentityHash, name, body.VisitorToken);
        if (error == WidgetSessionError.UnknownSite)
            return TypedResults.Problem("No site has this widget key.", statusCode: StatusCodes.Status404NotFound, title: "Not found");
        if (error == WidgetSessionError.IdentityNotProven)
            return TypedResults.Problem("The identity hash does not match the identifier.", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");
        // Refused, the new visitor's token is never given out, so no client or chat can come of it.
        if (session!.IsNewVisitor && limits.NewVisitor(context, session.Claims.TenantId, sessions.Settings(session.Claims.TenantId)!) is { } full)
            return full;
        return TypedResults.Ok(new WidgetSessionResponse(session.Claims.VisitorId, session.Token, session.Claims.ExpiresAt));
    }

    /// <summary>The visitor's message goes the way every provider's does: into the durable inbound stream, then 202.</summary>
    public static async Task<Results<Accepted<WidgetMessageAccepted>, ValidationProblem, ProblemHttpResult>> PostMessageAsync(
        WidgetMessageRequest body, HttpContext context, WidgetSessions sessions, WidgetLimits limits, [FromServices] IInboundGateway gateway, TimeProvider clock)
    {
        if (Visitor(context, sessions) is not { } visitor || sessions.Settings(visitor.TenantId) is not { } site)
            return Unauthorized(context);
        if (WidgetLimits.Origin(context, site) is { } forbidden)
            return forbidden;
        var errors = new Errors();
        if (string.IsNullOrWhiteSpace(body.Text))
            errors.Add("text", "Text is required.");
        else if (body.Text.Length > ChatRules.MaxTextLength)
            errors.Add("text", $"At most {ChatRules.MaxTextLength} characters.");
        if (body.ClientMessageId is { } given && (given.Length is 0 or > MaxClientMessageIdLength || !given.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':')))
            errors.Add("clientMessageId", $"1 to {MaxClientMessageIdLength} letters, digits, '-', '_', '.' or ':'.");
        if (errors.Any)
            return TypedResults.ValidationProblem(errors.ToDictionary(), title: "The request is not valid.");
        if (limits.Message(context, visitor.TenantId, visitor.VisitorId, site) is { } full)
            return full;

        // A retry with the same clientMessageId is the same provider message, which the chat stores once.
        var messageId = body.ClientMessageId ?? Ids.New("wm");
        var metadata = new Dictionary<string, string> { ["visitorId"] = visitor.VisitorId };
        if (visitor.Identifier is not null)
            metadata["identifier"] = visitor.Identifier;
        await gateway.AcceptMessageAsync(new InboundMessage
        {
            TenantId = visitor.TenantId,
            Transport = Transport.Website,
            Provider = "website",
            ProviderMessageId = messageId,
            Sender = new Sender { Type = SenderType.Website, Address = visitor.VisitorId, DisplayName = visitor.Name ?? visitor.Identifier },
            Text = body.Text!,
            ProviderTimestamp = clock.GetUtcNow(),
            ContactType = ContactType.Other,
            ContactValue = WidgetSessions.ContactValue(visitor.VisitorId),
            Metadata = metadata,
        });
        return TypedResults.Accepted((string?)null, new WidgetMessageAccepted(messageId));
    }

    /// <summary>The visitor's website conversation, both directions, by seq; the widget polls with <c>after</c> = the last <c>lastSeq</c>.</summary>
    public static async Task<Results<Ok<VisitorMessagePage>, ValidationProblem, ProblemHttpResult>> MessagesAsync(
        long? after, int? limit, HttpContext context, WidgetSessions sessions, IGrainFactory grains)
    {
        if (Visitor(context, sessions) is not { } visitor)
            return Unauthorized(context);
        if (after is < 0)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["after"] = ["Must be a message seq."] }, title: "The request is not valid.");
        var size = limit ?? Paging.DefaultLimit;
        if (size is < 1 or > Paging.MaxLimit)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"Must be between 1 and {Paging.MaxLimit}."] }, title: "The request is not valid.");

        var from = after ?? 0;
        var contact = ContactRules.GrainKey(visitor.TenantId, ContactType.Other, WidgetSessions.ContactValue(visitor.VisitorId));
        var owner = await grains.GetGrain<IContactGrain>(contact).GetOwnerAsync();
        var page = owner is null ? null : await grains.GetGrain<IChatGrain>(Ids.Key(visitor.TenantId, owner)).GetMessagesAsync(null, from, size);
        if (page is not { IsOk: true, Value: { } messages })
            return TypedResults.Ok(new VisitorMessagePage([], null, from));

        // Messages the client exchanged on other channels (email, WhatsApp...) are not the widget's to show.
        var items = messages.Items.Where(m => m.Transport == Transport.Website).Select(ToVisitor).ToList();
        var lastSeq = messages.Items.Count > 0 ? messages.Items[^1].Seq : from;
        return TypedResults.Ok(new VisitorMessagePage(items, messages.NextCursor, lastSeq));
    }

    private static VisitorMessage ToVisitor(ChatMessage m) => new(
        m.Id, m.Seq, m.Direction, m.Direction == MessageDirection.Inbound ? "visitor" : "agent", m.Sender.DisplayName, m.Text,
        [.. m.Attachments.Select(a => new VisitorAttachment(a.Id, a.FileName, a.ContentType, a.Size))],
        m.Status, m.CreatedAt, m.Direction == MessageDirection.Inbound ? m.ProviderMessageId : null);

    private static VisitorClaims? Visitor(HttpContext context, WidgetSessions sessions)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? sessions.Authenticate(header["Bearer ".Length..].Trim()) : null;
    }

    private static ProblemHttpResult Unauthorized(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        return TypedResults.Problem("A valid visitor token is required; start a new widget session.", statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized");
    }
}
