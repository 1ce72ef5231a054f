namespace Crm.Grains;

/// <summary>
/// The sign-in index (key: the lower-case email address): which tenant and user an address signs in
/// as. An address belongs to at most one user across all tenants, so the sign-in form needs no tenant.
/// It also counts the address's failed sign-ins, known address or not, so every API node refuses a locked one.
/// </summary>
public interface IUserEmailGrain : IGrainWithStringKey
{
    /// <summary>Takes the address for the user; false when another user holds it.</summary>
    Task<bool> ClaimAsync(UserRef user);

    /// <summary>Gives the address up, if this user holds it.</summary>
    Task ReleaseAsync(UserRef user);

    Task<UserRef?> FindAsync();

    /// <summary>Until when sign-ins with this address are refused; null when they are not.</summary>
    Task<DateTimeOffset?> LockedUntilAsync();

    /// <summary>Counts a failed sign-in; the one that reaches <paramref name="maxFailures"/> in a window locks the address until the window ends.</summary>
    Task SignInFailedAsync(int maxFailures);

    /// <summary>A successful sign-in forgets the failures.</summary>
    Task SignInSucceededAsync();
}
