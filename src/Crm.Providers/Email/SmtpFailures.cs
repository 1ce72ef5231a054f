using System.Net.Sockets;
using Crm.Grains;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Crm.Providers;

/// <summary>Which SMTP failures are worth another attempt: transient ones (4xx, network) are, permanent ones (5xx, bad setup) are not.</summary>
public static class SmtpFailures
{
    public static SendOutcome Classify(Exception error) => error switch
    {
        SmtpCommandException { StatusCode: var code } when (int)code is >= 400 and < 500 => SendOutcome.Retry(((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message),
        SmtpCommandException { StatusCode: var code } => SendOutcome.Failed(((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message),
        AuthenticationException => SendOutcome.Failed("smtp_auth_failed", "The SMTP server refused the configured credentials."),
        SslHandshakeException => SendOutcome.Failed("smtp_tls_failed", error.Message),
        ParseException => SendOutcome.Failed("invalid_address", error.Message),
        NotSupportedException => SendOutcome.Failed("smtp_not_supported", error.Message),
        SocketException or IOException or TimeoutException or SmtpProtocolException or ServiceNotConnectedException
            => SendOutcome.Retry("smtp_unavailable", error.Message),
        OperationCanceledException => SendOutcome.Retry("smtp_timeout", error.Message),
        _ => SendOutcome.Retry("smtp_error", error.Message),
    };
}
