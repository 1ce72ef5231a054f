using Crm.Grains;
using Microsoft.Extensions.Options;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Http;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;

namespace Crm.Providers;

/// <summary>
/// Sends SMS and WhatsApp messages through Twilio's Messages API. Each message asks for status callbacks at a URL
/// carrying our message id, so a callback can be matched even if the send timed out before Twilio's answer.
/// A message Twilio accepted is reported as <see cref="MessageStatus.Sending"/>: Twilio holds it, callbacks move it on.
/// </summary>
public sealed class TwilioAdapter(IHttpMessageHandlerFactory handlers, IOptionsMonitor<ChannelOptions> options) : ITransportAdapter
{
    public const string HttpClientName = "twilio";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public bool Serves(Transport transport, TenantChannels channels) => channels.Twilio is { } twilio && transport switch
    {
        Transport.Sms => !string.IsNullOrWhiteSpace(twilio.SmsFrom) || !string.IsNullOrWhiteSpace(twilio.MessagingServiceSid),
        Transport.Whatsapp => !string.IsNullOrWhiteSpace(twilio.WhatsAppFrom),
        _ => false,
    };

    public async Task<SendOutcome> SendAsync(OutboundEnvelope envelope, TenantChannels channels, CancellationToken cancellationToken)
    {
        var settings = channels.Twilio ?? throw new InvalidOperationException("Twilio is not configured for this tenant.");
        using var http = new System.Net.Http.HttpClient(new BaseUrlHandler(new Uri(settings.BaseUrl)) { InnerHandler = handlers.CreateHandler(HttpClientName) }, disposeHandler: false)
        {
            Timeout = Timeout,
        };
        var client = new TwilioRestClient(settings.AccountSid, settings.AuthToken, settings.AccountSid, httpClient: new SystemNetHttpClient(http));
        try
        {
            var message = await MessageResource.CreateAsync(Options(envelope, settings), client).WaitAsync(cancellationToken);
            return message.Status?.ToString() is "failed" or "undelivered"
                ? SendOutcome.Failed(message.ErrorCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "failed", message.ErrorMessage)
                : SendOutcome.Sent(message.Sid, InitialStatus(message.Status?.ToString()));
        }
        catch (ApiException e)
        {
            return TwilioErrors.Classify(e.Code, e.Status, e.Message);
        }
        catch (ApiConnectionException e)
        {
            return SendOutcome.Retry("connection", e.InnerException?.Message ?? e.Message);
        }
        catch (HttpRequestException e)
        {
            return SendOutcome.Retry("connection", e.Message);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return SendOutcome.Retry("timeout", "Twilio did not answer in time.");
        }
    }

    private CreateMessageOptions Options(OutboundEnvelope envelope, TwilioSettings settings)
    {
        var whatsapp = envelope.Transport == Transport.Whatsapp;
        var message = new CreateMessageOptions(new PhoneNumber(whatsapp ? WhatsApp(envelope.To) : envelope.To))
        {
            Body = envelope.Text,
            StatusCallback = StatusCallback(options.CurrentValue.PublicBaseUrl, envelope.TenantId, envelope.MessageId),
        };
        if (whatsapp)
            message.From = new PhoneNumber(WhatsApp(settings.WhatsAppFrom!));
        else if (!string.IsNullOrWhiteSpace(settings.MessagingServiceSid))
            message.MessagingServiceSid = settings.MessagingServiceSid;
        else
            message.From = new PhoneNumber(settings.SmsFrom);
        var media = envelope.Attachments
            .Select(a => Uri.TryCreate(a.Url, UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? url : null)
            .OfType<Uri>()
            .ToList();
        if (media.Count > 0)
            message.MediaUrl = media;
        return message;
    }

    /// <summary>Where Twilio reports this message's progress; <c>messageId</c> ties the report to our message.</summary>
    public static Uri StatusCallback(string publicBaseUrl, string tenantId, string messageId) =>
        new($"{publicBaseUrl.TrimEnd('/')}/webhooks/twilio/{Uri.EscapeDataString(tenantId)}/status?messageId={Uri.EscapeDataString(messageId)}");

    private static string WhatsApp(string number) =>
        number.StartsWith("whatsapp:", StringComparison.OrdinalIgnoreCase) ? number : "whatsapp:" + number;

    private static MessageStatus InitialStatus(string? status) => TwilioWebhookParser.MapStatus(status) switch
    {
        MessageStatus.Sent => MessageStatus.Sent,
        MessageStatus.Delivered => MessageStatus.Delivered,
        MessageStatus.Read => MessageStatus.Read,
        _ => MessageStatus.Sending,
    };
}
