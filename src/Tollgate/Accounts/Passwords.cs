using System.Globalization;
using System.Security.Cryptography;

namespace Tollgate.Accounts;

/// <summary>
/// Password hashing with PBKDF2-HMAC-SHA256, stored as <c>pbkdf2-sha256$iterations$salt$hash</c>
/// (salt and hash base64). The iteration count is stored with each hash, so raising
/// <see cref="Iterations"/> later keeps old hashes verifiable.
/// </summary>
internal static class Passwords
{
    /// <summary>PBKDF2 iterations for new hashes by default (~40 ms per hash on one core of the test machine).</summary>
    public const int Iterations = 100_000;

    /// <summary>The fewest iterations <c>Tollgate:Auth:PasswordIterations</c> may set (tests lower the cost, never below this).</summary>
    public const int MinIterations = 1_000;

    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    // Verifying against this when the user does not exist makes "unknown email" cost as much as
    // "wrong password", so response time does not reveal which emails have accounts.
    private static readonly string DummyHash = Hash("not-a-real-password");

    /// <summary>Hashes a password with a new random salt.</summary>
    public static string Hash(string password, int iterations = Iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Join('$', Scheme, iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    /// <summary>True when <paramref name="password"/> matches <paramref name="stored"/>; compares in constant time.</summary>
    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations <= 0)
        {
            return false;
        }

        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            expected = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException)
        {
            return false;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Spends the time of one verification, for callers that found no user.</summary>
    public static void VerifyNothing(string password) => Verify(password, DummyHash);
}
