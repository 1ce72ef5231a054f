using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Crm.Grains;
using Microsoft.Extensions.Logging;

namespace Crm.Providers.Meta;

/// <summary>
/// Sends WhatsApp (Cloud API) and Instagram messages through the Graph API:
/// <c>POST {GraphBaseUrl}/{GraphVersion}/{phone-number-id or ig-id}/messages</c> with the tenant's bearer token.
/// </summary>
public sealed partial class MetaAdapter(IHttpClientFactory httpClients, ILogger<MetaAdapter> logger) : ITransportAdapter
{
    public const string HttpClientName = "meta-graph";

    public bool Serves(Transport transport, TenantChannels channels) => channels.Meta is { } meta && transport switch
    {
        Transport.Whatsapp => !string.IsNullOrEmpty(meta.WhatsAppPhoneNumberId),
        Transport.Instagram => !string.IsNullOrEmpty(meta.InstagramAccountId),
        _ => false,
    };

    public async Task<SendOutcome> SendAsync(OutboundEnvelope envelope, TenantChannels channels, CancellationToken cancellationToken)
    {
        var meta = channels.Meta ?? throw new InvalidOperationException("Meta is not configured for this tenant.");
        var (senderId, body) = envelope.Transport == Transport.Whatsapp
            ? (meta.WhatsAppPhoneNumberId!, MetaRequests.WhatsApp(envelope))
            : (meta.InstagramAccountId!, MetaRequests.Instagram(envelope));
        if (body is null)
            return SendOutcome.Failed("attachment_not_supported", "Only one attachment with a public URL can be sent per message on this channel.");

        using var request = new HttpRequestMessage(HttpMethod.Post, $"{meta.GraphBaseUrl.TrimEnd('/')}/{meta.GraphVersion}/{Uri.EscapeDataString(senderId)}/messages")
        {
            Content = JsonContent.Create(body),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", meta.AccessToken);
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
            var answer = await ReadAsync(response, cancellationToken);
            var outcome = MetaErrors.Classify(envelope.Transport, response.StatusCode, answer, RetryAfter(response));
            if (outcome.Kind != SendOutcomeKind.Sent)
                LogRejected(logger, EnumText.Of(envelope.Transport), envelope.MessageId, (int)response.StatusCode, outcome.ErrorCode);
            return outcome;
        }
        catch (HttpRequestException e)
        {
            LogUnreachable(logger, EnumText.Of(envelope.Transport), envelope.MessageId, e.Message);
            return SendOutcome.Retry("network", "The Graph API could not be reached.");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Meta offers no idempotency key; a timeout may still have sent. The status webhook carries our id back (biz_opaque_callback_data).
            return SendOutcome.Retry("timeout", "The Graph API did not answer in time.");
        }
    }

    private static async Task<GraphSendResponse?> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<GraphSendResponse>(MetaJson.Options, cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Graph API refused {Transport} message {MessageId}: HTTP {Status}, code {Code}")]
    private static partial void LogRejected(ILogger logger, string transport, string messageId, int status, string? code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Graph API unreachable for {Transport} message {MessageId}: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string transport, string messageId, string reason);
}

/// <summary>The JSON bodies of Graph API sends.</summary>
internal static class MetaRequests
{
    /// <summary>A text message, or one media message with the text as caption; null when the attachments cannot be sent.</summary>
    public static JsonObject? WhatsApp(OutboundEnvelope envelope)
    {
        var body = new JsonObject
        {
            ["messaging_product"] = "whatsapp",
            ["recipient_type"] = "individual",
            ["to"] = WhatsAppRecipient(envelope.To),
            // Comes back in status webhooks, so a status can be matched to our message even if the send's answer was lost.
            ["biz_opaque_callback_data"] = envelope.MessageId,
        };
        if (envelope.Attachments.Count == 0)
        {
            body["type"] = "text";
            body["text"] = new JsonObject { ["preview_url"] = false, ["body"] = envelope.Text };
            return body;
        }
        if (envelope.Attachments is not [{ Url: { Length: > 0 } url } attachment])
            return null;
        var type = attachment.ContentType?.StartsWith("image/", StringComparison.OrdinalIgnoreCase) == true ? "image" : "document";
        var media = new JsonObject { ["link"] = url };
        if (envelope.Text.Length > 0)
            media["caption"] = envelope.Text;
        if (type == "document" && attachment.FileName is { Length: > 0 } fileName)
            media["filename"] = fileName;
        body["type"] = type;
        body[type] = media;
        return body;
    }

    /// <summary>A text message; Instagram cannot caption media, so messages with attachments are not sent here.</summary>
    public static JsonObject? Instagram(OutboundEnvelope envelope) => envelope.Attachments.Count > 0
        ? null
        : new JsonObject
        {
            ["recipient"] = new JsonObject { ["id"] = Strip(envelope.To, "instagram:") },
            ["message"] = new JsonObject { ["text"] = envelope.Text },
        };

    /// <summary>WhatsApp addresses are the digits of the E.164 number, as in <c>wa_id</c>.</summary>
    private static string WhatsAppRecipient(string to) => Strip(to, "whatsapp:").TrimStart('+');

    private static string Strip(string value, string prefix) =>
        value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? value[prefix.Length..] : value;
}

/// <summary>Which Graph API answers are worth retrying.</summary>
public static class MetaErrors
{
    // Throttling and Meta-side trouble: 1 unknown, 2 service unavailable, 4/17/32/613 call limits, 80007 and 130429 rate
    // limits, 131000 something went wrong, 131016 service unavailable, 131056 pair rate limit, 133004 server unavailable.
    private static readonly HashSet<long> Transient = [1, 2, 4, 17, 32, 613, 80007, 130429, 131000, 131016, 131056, 133004];

    internal static SendOutcome Classify(Transport transport, HttpStatusCode status, GraphSendResponse? answer, TimeSpan? retryAfter)
    {
        var code = (int)status;
        if (code is >= 200 and < 300)
        {
            var id = transport == Transport.Whatsapp ? answer?.Messages?.FirstOrDefault()?.Id : answer?.MessageId;
            // WhatsApp accepted it and its "sent" status webhook follows; Instagram has no sent/delivered webhooks. A 2xx
            // without an id is still accepted: sending again could deliver twice, and WhatsApp statuses carry our id anyway.
            return SendOutcome.Sent(id is { Length: > 0 } ? id : null, transport == Transport.Whatsapp ? MessageStatus.Sending : MessageStatus.Sent);
        }
        var graphCode = answer?.Error?.Code;
        var errorCode = graphCode?.ToString(CultureInfo.InvariantCulture) ?? $"http_{code}";
        var message = answer?.Error?.Message;
        if (code == 429 || code >= 500 || (graphCode is { } g && Transient.Contains(g)))
            return SendOutcome.Retry(errorCode, message, retryAfter);
        return SendOutcome.Failed(errorCode, message);
    }
}
