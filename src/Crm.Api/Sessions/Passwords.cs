using Crm.Grains;
using Microsoft.AspNetCore.Identity;

namespace Crm.Api;

/// <summary>
/// Passwords are hashed and verified here, in the API, with ASP.NET Core's PBKDF2 hasher: the work is
/// deliberately slow and must not hold up the tenant grain, which authenticates every API request.
/// </summary>
public static class Passwords
{
    private static readonly PasswordHasher<UserRef> Hasher = new();
    private static readonly UserRef Anyone = new();

    // An unknown email is checked against this, so it takes as long to refuse as a wrong password.
    private static readonly string Decoy = Hasher.HashPassword(Anyone, Ids.Secret());

    public static string Hash(string password) => Hasher.HashPassword(Anyone, password);

    public static bool Verify(string? hash, string password) =>
        Hasher.VerifyHashedPassword(Anyone, hash ?? Decoy, password) != PasswordVerificationResult.Failed && hash is not null;
}
