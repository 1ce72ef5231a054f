using System.Text.Json;
using Crm.Grains;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Crm.Api;

/// <summary>
/// Everything held about one client (GDPR access), written to the response as it is read: the profile with
/// contacts and consent, the chat, every message page by page from the store with its attachment metadata,
/// and the audit records about the client.
/// </summary>
public sealed class ClientExport(string tenantId, ClientProfile profile, ChatView? chat, IChatStore chats, IAuditLog audit) : IResult
{
    private const int PageSize = 200;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var options = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var cancel = httpContext.RequestAborted;
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(httpContext.Response.BodyWriter);

        json.WriteStartObject();
        json.WriteString("exportedAt", DateTimeOffset.UtcNow);
        json.WritePropertyName("profile");
        JsonSerializer.Serialize(json, profile, options);
        json.WritePropertyName("chat");
        JsonSerializer.Serialize(json, chat, options);

        var attachments = new Dictionary<string, AttachmentRef>();
        json.WriteStartArray("messages");
        if (chat is not null)
        {
            long after = 0;
            while (true)
            {
                var page = await chats.ReadMessagesAsync(tenantId, chat.Id, null, after, PageSize);
                foreach (var message in page)
                {
                    JsonSerializer.Serialize(json, message, options);
                    foreach (var file in message.Attachments)
                        attachments.TryAdd(file.Id, file);
                }
                await json.FlushAsync(cancel);
                if (page.Count < PageSize)
                    break;
                after = page[^1].Seq;
            }
        }
        json.WriteEndArray();
        json.WritePropertyName("attachments");
        JsonSerializer.Serialize(json, attachments.Values, options);

        json.WriteStartArray("audit");
        await foreach (var entry in audit.ReadAboutClientAsync(tenantId, profile.Id, cancel))
            JsonSerializer.Serialize(json, entry, options);
        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(cancel);
    }
}
