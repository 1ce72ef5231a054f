namespace Crm.Grains;

/// <summary>
/// The sign-in index (key: the lower-case email address): which tenant and user an address signs in
/// as. An address belongs to at most one user across all tenants, so the sign-in form needs no tenant.
/// </summary>
public interface IUserEmailGrain : IGrainWithStringKey
{
    /// <summary>Takes the address for the user; false when another user holds it.</summary>
    Task<bool> ClaimAsync(UserRef user);

    /// <summary>Gives the address up, if this user holds it.</summary>
    Task ReleaseAsync(UserRef user);

    Task<UserRef?> FindAsync();
}
