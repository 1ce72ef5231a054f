using System.Globalization;
using Crm.Grains;

namespace Crm.Providers;

/// <summary>Which Twilio send errors are worth another attempt and which are final.</summary>
public static class TwilioErrors
{
    /// <summary>Unreachable handset: the phone may come back.</summary>
    private static readonly HashSet<int> RetryableCodes = [30003];

    /// <summary>Opted out (21610), invalid number (21211), unknown or landline destination (30005, 30006).</summary>
    private static readonly HashSet<int> PermanentCodes = [21610, 21211, 30005, 30006];

    /// <summary>
    /// The outcome of an API error: <paramref name="code"/> is Twilio's error code (0 when the body had none),
    /// <paramref name="httpStatus"/> the HTTP status (0 when the SDK could not read the answer).
    /// </summary>
    public static SendOutcome Classify(int code, int httpStatus, string? message)
    {
        var errorCode = (code != 0 ? code : httpStatus).ToString(CultureInfo.InvariantCulture);
        if (PermanentCodes.Contains(code))
            return SendOutcome.Failed(errorCode, message);
        if (RetryableCodes.Contains(code) || httpStatus == 429 || httpStatus >= 500 || httpStatus == 0)
            return SendOutcome.Retry(errorCode, message);
        return SendOutcome.Failed(errorCode, message);
    }
}
