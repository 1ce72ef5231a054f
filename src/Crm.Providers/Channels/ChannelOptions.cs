namespace Crm.Providers;

/// <summary>
/// Provider credentials per tenant, from configuration (section <c>Crm:Channels</c>) or the environment,
/// e.g. <c>Crm__Channels__Tenants__tn_123__Twilio__AuthToken</c>. Secrets here are never logged.
/// </summary>
public sealed class ChannelOptions
{
    public const string SectionName = "Crm:Channels";

    /// <summary>The public base URL providers call (webhook signatures cover it; status callbacks are built from it).</summary>
    public string PublicBaseUrl { get; set; } = "http://127.0.0.1:5080";

    public Dictionary<string, TenantChannels> Tenants { get; set; } = new(StringComparer.Ordinal);

    public TenantChannels For(string tenantId) => Tenants.GetValueOrDefault(tenantId) ?? new TenantChannels();
}

/// <summary>The providers one tenant has configured; an absent section means the channel is off.</summary>
public sealed class TenantChannels
{
    public TwilioSettings? Twilio { get; set; }
    public TelegramSettings? Telegram { get; set; }
    public MetaSettings? Meta { get; set; }
    public EmailSettings? Email { get; set; }
    public WidgetSettings? Widget { get; set; }
}

public sealed class TwilioSettings
{
    public string AccountSid { get; set; } = "";
    public string AuthToken { get; set; } = "";
    public string? SmsFrom { get; set; }
    public string? WhatsAppFrom { get; set; }
    public string? MessagingServiceSid { get; set; }

    /// <summary>Where the REST API is (tests point it at a fake); the SDK itself has no such setting.</summary>
    public string BaseUrl { get; set; } = "https://api.twilio.com";
}

public sealed class TelegramSettings
{
    public string BotToken { get; set; } = "";

    /// <summary>The secret given to setWebhook; Telegram sends it back in X-Telegram-Bot-Api-Secret-Token.</summary>
    public string? SecretToken { get; set; }

    /// <summary>"webhook" (default) or "polling" for setups without a public URL.</summary>
    public string Mode { get; set; } = "webhook";
    public string BaseUrl { get; set; } = "https://api.telegram.org";

    /// <summary>How long one getUpdates call may wait for news in polling mode (Telegram allows up to 50 s).</summary>
    public int PollTimeoutSeconds { get; set; } = 25;

    public bool Polls => string.Equals(Mode, "polling", StringComparison.OrdinalIgnoreCase);
}

public sealed class MetaSettings
{
    public string AppSecret { get; set; } = "";
    public string VerifyToken { get; set; } = "";
    public string AccessToken { get; set; } = "";
    public string? WhatsAppPhoneNumberId { get; set; }
    public string? InstagramAccountId { get; set; }
    public string GraphBaseUrl { get; set; } = "https://graph.facebook.com";
    public string GraphVersion { get; set; } = "v21.0";
}

public sealed class EmailSettings
{
    /// <summary>Our address, optionally with a display name: <c>Acme Support &lt;support@acme.example&gt;</c>. Its domain names our Message-Ids.</summary>
    public string From { get; set; } = "";

    /// <summary>The subject of a message that replies to no earlier mail; empty means "Message from {our name}".</summary>
    public string? DefaultSubject { get; set; }
    public string SmtpHost { get; set; } = "";
    public int SmtpPort { get; set; } = 587;
    public string? SmtpUser { get; set; }
    public string? SmtpPassword { get; set; }

    /// <summary>TLS on connect for port 465, STARTTLS (required) on any other port; false only for a relay on a trusted network.</summary>
    public bool SmtpUseTls { get; set; } = true;
    public int SmtpTimeoutSeconds { get; set; } = 30;
    public string? ImapHost { get; set; }
    public int ImapPort { get; set; } = 993;
    public string? ImapUser { get; set; }
    public string? ImapPassword { get; set; }

    /// <summary>TLS on connect for port 993, STARTTLS (required) on any other port.</summary>
    public bool ImapUseTls { get; set; } = true;
    public string ImapFolder { get; set; } = "INBOX";

    /// <summary>Wait for new mail with IMAP IDLE when the server offers it; otherwise, or when false, poll.</summary>
    public bool ImapUseIdle { get; set; } = true;
    public int ImapPollSeconds { get; set; } = 60;

    /// <summary>The longest wait between reconnect attempts after an error; waits double from one second up to it.</summary>
    public int ImapMaxBackoffSeconds { get; set; } = 300;
}

public sealed class WidgetSettings
{
    /// <summary>The public key a site's widget sends; it names the tenant's site.</summary>
    public string SiteKey { get; set; } = "";

    /// <summary>Shared with the site's backend for HMAC identity verification.</summary>
    public string? SiteSecret { get; set; }

    /// <summary>Signs visitor tokens.</summary>
    public string TokenSecret { get; set; } = "";

    /// <summary>How long a visitor token is good for; the widget asks for a new one with its old token after.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Sessions that make a new anonymous visitor, per minute on one API node; 0 turns the limit off.</summary>
    public int NewVisitorsPerMinute { get; set; } = 60;

    /// <summary>Sessions that make a new anonymous visitor, per day on one API node; 0 turns the limit off.</summary>
    public int NewVisitorsPerDay { get; set; } = 5_000;

    /// <summary>Messages one visitor may send per minute on one API node; 0 turns the limit off.</summary>
    public int MessagesPerVisitorPerMinute { get; set; } = 20;

    /// <summary>
    /// When not empty, the only <c>Origin</c>s (<c>https://shop.example</c>) that may start sessions and send messages;
    /// a request with another Origin, or none, is refused.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];
}
