using Microsoft.Extensions.Options;

namespace Crm.Providers.Website;

public enum WidgetSessionError { None, UnknownSite, IdentityNotProven }

/// <summary>A visitor's token; <c>IsNewVisitor</c> when the session made a visitor id no earlier session had (anonymous, without a renewable previous token).</summary>
public sealed record WidgetSession(VisitorClaims Claims, string Token, bool IsNewVisitor);

/// <summary>Starts visitor sessions for a site key and authenticates the visitor tokens it gave out.</summary>
public sealed class WidgetSessions(IOptionsMonitor<ChannelOptions> options, TimeProvider clock)
{
    /// <summary>How long after expiry an anonymous visitor may still trade an old token for a new one and keep their chat.</summary>
    public static readonly TimeSpan RenewalWindow = TimeSpan.FromDays(30);

    /// <summary>
    /// A new token. With an identifier its hash must be right, and the visitor id is the identifier's; without one,
    /// a previous token of the same site keeps the visitor id, else the visitor is new.
    /// </summary>
    public (WidgetSession? Session, WidgetSessionError Error) Start(string siteKey, string? identifier, string? identityHash, string? name, string? previousToken)
    {
        if (Site(siteKey) is not var (tenantId, widget))
            return (null, WidgetSessionError.UnknownSite);
        var now = clock.GetUtcNow();
        string visitorId;
        var isNew = false;
        if (identifier is not null)
        {
            if (!WidgetIdentity.IsProven(widget.SiteSecret, identifier, identityHash))
                return (null, WidgetSessionError.IdentityNotProven);
            visitorId = WidgetIdentity.VisitorIdFor(tenantId, identifier);
        }
        else
        {
            var previous = VisitorTokens.Read(previousToken, t => t == tenantId ? widget.TokenSecret : null, now);
            var renewable = previous.Claims is { Identifier: null } p && p.ExpiresAt + RenewalWindow > now;
            isNew = !renewable;
            visitorId = renewable ? previous.Claims!.VisitorId : WidgetIdentity.NewVisitorId();
            name ??= renewable ? previous.Claims!.Name : null;
        }
        var claims = new VisitorClaims(tenantId, visitorId, now + widget.TokenLifetime, name, identifier);
        return (new WidgetSession(claims, VisitorTokens.Issue(claims, widget.TokenSecret), isNew), WidgetSessionError.None);
    }

    /// <summary>The visitor a valid, unexpired token speaks for, or null.</summary>
    public VisitorClaims? Authenticate(string? token)
    {
        var check = VisitorTokens.Read(token, TokenSecretOf, clock.GetUtcNow());
        return check.Status == VisitorTokenStatus.Valid ? check.Claims : null;
    }

    /// <summary>The contact a visitor writes from: the key of their client in the tenant.</summary>
    public static string ContactValue(string visitorId) => "website:" + visitorId;

    /// <summary>The tenant and widget settings of a site key, or null when no usable widget has it.</summary>
    public (string TenantId, WidgetSettings Widget)? Site(string siteKey)
    {
        foreach (var (tenantId, channels) in options.CurrentValue.Tenants)
        {
            if (channels.Widget is { } widget && IsUsable(widget) && string.Equals(widget.SiteKey, siteKey, StringComparison.Ordinal))
                return (tenantId, widget);
        }
        return null;
    }

    /// <summary>A tenant's widget settings, or null when it has no usable widget.</summary>
    public WidgetSettings? Settings(string tenantId) =>
        options.CurrentValue.For(tenantId).Widget is { } widget && IsUsable(widget) ? widget : null;

    private string? TokenSecretOf(string tenantId) => Settings(tenantId)?.TokenSecret;

    /// <summary>A widget with a site key and secrets long enough (<see cref="ChannelSecretRules.WidgetSecretsUsable"/>); any other is off.</summary>
    internal static bool IsUsable(WidgetSettings widget) => widget.SiteKey.Length > 0 && ChannelSecretRules.WidgetSecretsUsable(widget);
}
