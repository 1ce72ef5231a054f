using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Crm.Providers;

/// <summary>
/// The shortest channel secrets accepted. A shorter one counts as unset, the way a missing one always has: Telegram's
/// webhook refuses every call, the website widget is off. <see cref="ChannelSecretWarnings"/> names each such setting
/// in the log at start and whenever the settings change.
/// </summary>
public static class ChannelSecretRules
{
    /// <summary>Telegram allows 1–256 characters; a short one could be guessed by anyone who learns the webhook URL.</summary>
    public const int MinTelegramSecretToken = 16;

    /// <summary>The widget's HMAC keys (<c>TokenSecret</c>, <c>SiteSecret</c>): at least 32 characters.</summary>
    public const int MinWidgetSecret = 32;

    public static bool IsLongEnough([NotNullWhen(true)] string? secret, int minLength) => secret is not null && secret.Length >= minLength;

    /// <summary>Whether a set <c>SiteSecret</c> and the <c>TokenSecret</c> of a widget are long enough to use.</summary>
    public static bool WidgetSecretsUsable(WidgetSettings widget) =>
        IsLongEnough(widget.TokenSecret, MinWidgetSecret)
        && (string.IsNullOrEmpty(widget.SiteSecret) || IsLongEnough(widget.SiteSecret, MinWidgetSecret));

    /// <summary>What is wrong with a tenant's channel secrets, one sentence per setting naming it; empty when nothing is.</summary>
    public static IEnumerable<string> Problems(string tenantId, TenantChannels channels)
    {
        var section = $"{ChannelOptions.SectionName}:Tenants:{tenantId}";
        if (channels.Telegram is { Polls: false } telegram && !IsLongEnough(telegram.SecretToken, MinTelegramSecretToken))
            yield return $"{section}:Telegram:SecretToken is missing or shorter than {MinTelegramSecretToken} characters: every Telegram webhook call is refused.";
        if (channels.Widget is { } widget)
        {
            if (!IsLongEnough(widget.TokenSecret, MinWidgetSecret))
                yield return $"{section}:Widget:TokenSecret is shorter than {MinWidgetSecret} characters: the website widget is off.";
            if (!string.IsNullOrEmpty(widget.SiteSecret) && !IsLongEnough(widget.SiteSecret, MinWidgetSecret))
                yield return $"{section}:Widget:SiteSecret is shorter than {MinWidgetSecret} characters: the website widget is off.";
        }
    }
}

/// <summary>Logs a warning for every channel secret <see cref="ChannelSecretRules"/> refuses, at start and on every change.</summary>
internal sealed partial class ChannelSecretWarnings(IOptionsMonitor<ChannelOptions> options, ILogger<ChannelSecretWarnings> logger) : IHostedService
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Warn(options.CurrentValue);
        _subscription = options.OnChange(Warn);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }

    private void Warn(ChannelOptions current)
    {
        foreach (var (tenantId, channels) in current.Tenants)
        {
            foreach (var problem in ChannelSecretRules.Problems(tenantId, channels))
                LogRefused(logger, problem);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Channel settings refused: {Problem}")]
    private static partial void LogRefused(ILogger logger, string problem);
}
