using System.Collections.Concurrent;

namespace Crm.Api;

/// <summary>
/// Failed sign-ins per email address (known or not, so the answer reveals nothing): after
/// <see cref="RateLimitOptions.SignInFailuresPerEmail"/> failures the address is refused for the rest of
/// a 15-minute window, whoever asks. The per-address sign-in rate limit covers guessing many emails.
/// Kept in the memory of this API node.
/// </summary>
public sealed class SignInThrottle(TimeProvider clock, Microsoft.Extensions.Options.IOptions<RateLimitOptions> options)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);
    private const int MaxTracked = 100_000;
    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset Since)> failures = new(StringComparer.Ordinal);

    public bool IsLocked(string email, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!failures.TryGetValue(email, out var entry) || clock.GetUtcNow() - entry.Since > Window)
            return false;
        retryAfter = entry.Since + Window - clock.GetUtcNow();
        return entry.Failures >= options.Value.SignInFailuresPerEmail;
    }

    public void Failed(string email)
    {
        var now = clock.GetUtcNow();
        if (failures.Count > MaxTracked)
        {
            foreach (var (key, value) in failures)
            {
                if (now - value.Since > Window)
                    failures.TryRemove(key, out _);
            }
        }
        failures.AddOrUpdate(email, _ => (1, now), (_, e) => now - e.Since > Window ? (1, now) : (e.Failures + 1, e.Since));
    }

    public void Succeeded(string email) => failures.TryRemove(email, out _);
}
