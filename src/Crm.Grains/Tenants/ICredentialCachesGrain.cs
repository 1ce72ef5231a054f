namespace Crm.Grains;

/// <summary>An API node's cache of <see cref="UserCredentials"/>, told when a user's credentials change.</summary>
public interface ICredentialCache : IGrainObserver
{
    /// <summary>Drops what the node holds of the user; the change is not answered before this returns.</summary>
    Task UserChangedAsync(string tenantId, string userId);
}

/// <summary>
/// The API nodes that cache credentials (one grain, key <see cref="CredentialLease.RegistryKey"/>). A node joins
/// for a <see cref="CredentialLease"/> and renews it; it serves from its cache only while its lease runs. A change
/// of a user's credentials returns once every node with a lease dropped the user, or once a node that did not
/// answer has seen its lease lapse (and with it, its whole cache).
/// </summary>
public interface ICredentialCachesGrain : IGrainWithStringKey
{
    /// <summary>Grants or renews the node's lease, counted from before the node sent this call.</summary>
    Task JoinAsync(ICredentialCache node);

    /// <summary>A node that stops; its lease ends now.</summary>
    Task LeaveAsync(ICredentialCache node);

    /// <summary>Tells every node with a lease to drop the user; returns when none can serve the old credentials any more.</summary>
    Task UserChangedAsync(string tenantId, string userId);
}

/// <summary>
/// The lease of a credential cache. The registry waits out <see cref="Duration"/> (its own clock, from its grant);
/// a node trusts its cache for <see cref="NodeValidity"/> from the moment it sent the renewal, which is earlier
/// than the grant, and shorter, so the node's lease always ends first. Only elapsed times are compared, never the
/// clocks of two machines.
/// </summary>
public static class CredentialLease
{
    public const string RegistryKey = "all";

    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(6);

    public static readonly TimeSpan NodeValidity = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(1.5);
}
