namespace Crm.Testing;

/// <summary>Twilio webhook forms shaped as Twilio posts them (field names and values as on the wire).</summary>
public static class TwilioForms
{
    public const string AccountSid = "AC0123456789abcdef0123456789abcdef";

    public static Dictionary<string, string> Sms(string from, string body, string? messageSid = null, string to = "+15005550006") => new()
    {
        ["ToCountry"] = "US",
        ["ToState"] = "CA",
        ["SmsMessageSid"] = messageSid ??= NewSid(),
        ["NumMedia"] = "0",
        ["ToCity"] = "SAN FRANCISCO",
        ["FromZip"] = "94105",
        ["SmsSid"] = messageSid,
        ["FromState"] = "CA",
        ["SmsStatus"] = "received",
        ["FromCity"] = "SAN FRANCISCO",
        ["Body"] = body,
        ["FromCountry"] = "US",
        ["To"] = to,
        ["ToZip"] = "94105",
        ["NumSegments"] = "1",
        ["MessageSid"] = messageSid,
        ["AccountSid"] = AccountSid,
        ["From"] = from,
        ["ApiVersion"] = "2010-04-01",
    };

    public static Dictionary<string, string> WhatsApp(string from, string body, string profileName, string? messageSid = null, string to = "+14155238886", params (string Url, string ContentType)[] media)
    {
        var form = new Dictionary<string, string>
        {
            ["SmsMessageSid"] = messageSid ??= NewSid(),
            ["NumMedia"] = media.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ProfileName"] = profileName,
            ["MessageType"] = media.Length > 0 ? "image" : "text",
            ["SmsSid"] = messageSid,
            ["WaId"] = from.TrimStart('+'),
            ["SmsStatus"] = "received",
            ["Body"] = body,
            ["To"] = "whatsapp:" + to,
            ["NumSegments"] = "1",
            ["ReferralNumMedia"] = "0",
            ["MessageSid"] = messageSid,
            ["AccountSid"] = AccountSid,
            ["From"] = "whatsapp:" + from,
            ["ApiVersion"] = "2010-04-01",
        };
        for (var i = 0; i < media.Length; i++)
        {
            form[$"MediaUrl{i}"] = media[i].Url;
            form[$"MediaContentType{i}"] = media[i].ContentType;
        }
        return form;
    }

    public static Dictionary<string, string> Status(string messageSid, string status, string to = "+14155550123", string? errorCode = null, string from = "+15005550006")
    {
        var form = new Dictionary<string, string>
        {
            ["SmsSid"] = messageSid,
            ["SmsStatus"] = status,
            ["MessageStatus"] = status,
            ["To"] = to,
            ["MessageSid"] = messageSid,
            ["AccountSid"] = AccountSid,
            ["From"] = from,
            ["ApiVersion"] = "2010-04-01",
        };
        if (errorCode is not null)
            form["ErrorCode"] = errorCode;
        return form;
    }

    public static string NewSid() => "SM" + Guid.NewGuid().ToString("N");
}
