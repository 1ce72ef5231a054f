using System.Security.Claims;
using Crm.Grains;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Crm.Api;

public sealed class EventStreamOptions
{
    public const string SectionName = "Crm:Events";

    /// <summary>How often an open stream authenticates its request again; the stream ends once that fails.</summary>
    public TimeSpan RecheckPeriod { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Open streams per API key or session on one API node; one more answers 429.</summary>
    public int MaxStreamsPerCredential { get; set; } = 5;
}

/// <summary>The open event streams of this API node, counted per credential (a key, or a session).</summary>
internal sealed class EventStreamSlots(IOptions<EventStreamOptions> options)
{
    private readonly Dictionary<(string TenantId, string UserId, string KeyId), int> _open = [];
    private readonly Lock _gate = new();

    public int Limit => options.Value.MaxStreamsPerCredential;

    /// <summary>A slot for one more stream of the credential, freed when disposed; null when all its slots are taken.</summary>
    public IDisposable? TryTake(Actor actor)
    {
        var key = (actor.TenantId, actor.UserId, actor.KeyId);
        lock (_gate)
        {
            var open = _open.GetValueOrDefault(key);
            if (open >= Limit)
                return null;
            _open[key] = open + 1;
        }
        return new Slot(this, key);
    }

    private void Free((string, string, string) key)
    {
        lock (_gate)
        {
            if (--_open[key] == 0)
                _open.Remove(key);
        }
    }

    private sealed class Slot(EventStreamSlots slots, (string, string, string) key) : IDisposable
    {
        private int _freed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _freed, 1) == 0)
                slots.Free(key);
        }
    }
}

/// <summary>
/// Whether the credential that opened a stream still opens it. The stream's request is authenticated again, as a
/// new request with the same <c>Authorization</c> and <c>Cookie</c> headers would be (same schemes, same
/// <see cref="CredentialCache"/>), every <see cref="EventStreamOptions.RecheckPeriod"/>, and at once when the cache
/// drops the stream's user for a change. It must still name the same tenant, user and key or session, and its role
/// must still read chats.
/// </summary>
internal sealed class StreamCredential : IDisposable
{
    private readonly HttpContext _http;
    private readonly Actor _actor;
    private readonly CredentialCache _cache;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _period;
    private long _dueAt;
    private int _changed;
    private CancellationTokenSource _wake = new();

    public StreamCredential(HttpContext http, Actor actor)
    {
        _http = http;
        _actor = actor;
        _cache = http.RequestServices.GetRequiredService<CredentialCache>();
        _clock = http.RequestServices.GetRequiredService<TimeProvider>();
        _period = http.RequestServices.GetRequiredService<IOptions<EventStreamOptions>>().Value.RecheckPeriod;
        _dueAt = _clock.GetTimestamp() + Ticks(_period);
        _cache.UserDropped += OnUserDropped;
    }

    /// <summary>Cancelled when the cache drops the stream's user: a wait for events should end to re-check.</summary>
    public CancellationToken Changed => Volatile.Read(ref _wake).Token;

    /// <summary>How long until the next re-check; zero when one is due.</summary>
    public TimeSpan UntilDue => Volatile.Read(ref _changed) == 1
        ? TimeSpan.Zero
        : TimeSpan.FromSeconds(Math.Max(0, _dueAt - _clock.GetTimestamp()) / (double)_clock.TimestampFrequency);

    public bool Due => UntilDue == TimeSpan.Zero;

    public async Task<bool> StillValidAsync()
    {
        Volatile.Write(ref _changed, 0);
        if (_wake.IsCancellationRequested)
        {
            var spent = Interlocked.Exchange(ref _wake, new CancellationTokenSource());
            spent.Dispose();
        }
        _dueAt = _clock.GetTimestamp() + Ticks(_period);

        await using var scope = _http.RequestServices.GetRequiredService<IServiceScopeFactory>().CreateAsyncScope();
        var probe = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        foreach (var header in (ReadOnlySpan<string>)[HeaderNames.Authorization, HeaderNames.Cookie])
        {
            if (_http.Request.Headers.TryGetValue(header, out var value))
                probe.Request.Headers[header] = value;
        }
        var result = await probe.AuthenticateAsync();
        if (!result.Succeeded || result.Principal.FindFirstValue(ApiKeyAuthentication.TenantClaim) is null)
            return false;
        var now = result.Principal.Actor();
        return (now.TenantId, now.UserId, now.KeyId) == (_actor.TenantId, _actor.UserId, _actor.KeyId)
            && Permissions.Allows(EnumText.Of(now.Role), Permission.ReadChats);
    }

    public void Dispose()
    {
        _cache.UserDropped -= OnUserDropped;
        Volatile.Read(ref _wake).Dispose();
    }

    private void OnUserDropped(string tenantId, string userId)
    {
        if (tenantId != _actor.TenantId || userId != _actor.UserId)
            return;
        Volatile.Write(ref _changed, 1);
        try
        {
            // Its callbacks run on the thread pool, not inside the registry's call that confirms the change.
            _ = Volatile.Read(ref _wake).CancelAsync();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _clock.TimestampFrequency);
}
