using Crm.Grains;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Crm.Providers;

/// <summary>Sends outbound messages as mail over the tenant's SMTP server.</summary>
public sealed partial class EmailAdapter(IEmailFiles files, ILogger<EmailAdapter> logger) : ITransportAdapter
{
    public bool Serves(Transport transport, TenantChannels channels) =>
        transport == Transport.Email && !string.IsNullOrWhiteSpace(channels.Email?.SmtpHost);

    public async Task<SendOutcome> SendAsync(OutboundEnvelope envelope, TenantChannels channels, CancellationToken cancellationToken)
    {
        var settings = channels.Email!;
        try
        {
            if (await ReadFilesAsync(envelope) is not { } attached)
                return SendOutcome.Failed("attachment_missing", "An attachment of the message is no longer stored.");
            var message = EmailComposer.Compose(envelope, settings, attached);
            await DeliverAsync(message, settings, cancellationToken);
            return SendOutcome.Sent(message.MessageId) with { Thread = EmailComposer.ThreadOf(message) };
        }
        catch (Exception error) when (!cancellationToken.IsCancellationRequested)
        {
            var outcome = SmtpFailures.Classify(error);
            LogNotSent(logger, envelope.TenantId, envelope.MessageId, outcome.Kind, outcome.ErrorCode, error.GetType().Name);
            return outcome;
        }
    }

    private async Task<IReadOnlyList<AttachmentContent>?> ReadFilesAsync(OutboundEnvelope envelope)
    {
        var contents = new List<AttachmentContent>();
        foreach (var attachment in envelope.Attachments)
        {
            if (await files.ReadAsync(envelope.TenantId, attachment.Id) is not { } content)
                return null;
            contents.Add(content);
        }
        return contents;
    }

    private static async Task DeliverAsync(MimeMessage message, EmailSettings settings, CancellationToken cancellationToken)
    {
        using var client = new SmtpClient { Timeout = settings.SmtpTimeoutSeconds * 1000 };
        var security = !settings.SmtpUseTls ? SecureSocketOptions.None
            : settings.SmtpPort == 465 ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTls;
        await client.ConnectAsync(settings.SmtpHost, settings.SmtpPort, security, cancellationToken);
        if (!string.IsNullOrEmpty(settings.SmtpUser))
            await client.AuthenticateAsync(settings.SmtpUser, settings.SmtpPassword ?? "", cancellationToken);
        await client.SendAsync(message, cancellationToken);
        try
        {
            await client.DisconnectAsync(quit: true, cancellationToken);
        }
        catch (Exception error) when (error is IOException or MailKit.ProtocolException or OperationCanceledException)
        {
            // The server has accepted the mail; a failed QUIT must not make it look unsent and be sent again.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Email {MessageId} of tenant {TenantId} not sent ({Kind}, {ErrorCode}): {ErrorType}")]
    private static partial void LogNotSent(ILogger logger, string tenantId, string messageId, SendOutcomeKind kind, string? errorCode, string errorType);
}
