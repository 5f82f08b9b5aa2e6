using System.Security.Cryptography;
using System.Text;

namespace Tollgate.Accounts;

/// <summary>
/// Bearer secrets: a kind prefix and 40 random base62 characters (~238 bits). Distinct prefixes
/// keep the kinds apart, so a session token is never mistaken for an API key and vice versa.
/// Only the SHA-256 of a secret is stored (hex, lower case); the secret is shown once.
/// </summary>
internal static class Secrets
{
    /// <summary>Gateway API keys.</summary>
    public const string ApiKeyPrefix = "tgk_";

    /// <summary>Management API session tokens.</summary>
    public const string SessionPrefix = "tgs_";

    /// <summary>Master keys (platform API); not accepted on the gateway or the management API.</summary>
    public const string MasterKeyPrefix = "tgm_";

    /// <summary>Invite tokens, accepted only by <c>POST /invites/{token}/accept</c>.</summary>
    public const string InvitePrefix = "tgi_";

    /// <summary>Random characters after the prefix.</summary>
    public const int RandomLength = 40;

    /// <summary>Total length of every secret: prefix plus random part.</summary>
    public const int Length = 4 + RandomLength;

    /// <summary>How many leading characters of a key are kept and shown as its <c>prefix</c>.</summary>
    public const int DisplayPrefixLength = 12;

    /// <summary>Bytes of a SHA-256 hash.</summary>
    public const int HashBytes = 32;

    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>A new API key secret (<c>tgk_...</c>).</summary>
    public static string NewApiKey() => ApiKeyPrefix + RandomNumberGenerator.GetString(Base62, RandomLength);

    /// <summary>A new session token (<c>tgs_...</c>).</summary>
    public static string NewSessionToken() => SessionPrefix + RandomNumberGenerator.GetString(Base62, RandomLength);

    /// <summary>A new invite token (<c>tgi_...</c>).</summary>
    public static string NewInviteToken() => InvitePrefix + RandomNumberGenerator.GetString(Base62, RandomLength);

    /// <summary>The part of a key that may be shown after creation (<c>tgk_AbCdEfGh</c>).</summary>
    public static string DisplayPrefix(string secret) => secret[..DisplayPrefixLength];

    /// <summary>SHA-256 of the secret, lower-case hex: the form in which secrets are stored and looked up.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>
    /// Hashes <paramref name="secret"/> into <paramref name="hash"/> (32 bytes) without allocating.
    /// False when the secret is not a plausible secret (wrong length or not ASCII).
    /// </summary>
    public static bool TryHash(ReadOnlySpan<char> secret, Span<byte> hash)
    {
        if (secret.Length != Length || !Ascii.IsValid(secret))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Length];
        Encoding.ASCII.GetBytes(secret, bytes);
        SHA256.HashData(bytes, hash);
        return true;
    }
}
