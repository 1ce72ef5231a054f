using System.Security.Cryptography;
using System.Text;

namespace Crm.Providers;

/// <summary>Telegram does not sign webhook bodies; it sends back the secret we gave <c>setWebhook</c> in a header.</summary>
public static class TelegramSecret
{
    public const string Header = "X-Telegram-Bot-Api-Secret-Token";

    /// <summary>
    /// True only when a secret of at least <see cref="ChannelSecretRules.MinTelegramSecretToken"/> characters is
    /// configured and the header carries exactly it.
    /// </summary>
    public static bool IsValid(string? configured, string? received) =>
        ChannelSecretRules.IsLongEnough(configured, ChannelSecretRules.MinTelegramSecretToken)
        && received is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(configured), Encoding.UTF8.GetBytes(received));
}
