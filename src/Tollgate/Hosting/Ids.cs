namespace Tollgate.Hosting;

/// <summary>
/// Opaque, time-ordered identifiers: a type prefix, then 10 characters of millisecond time and
/// 16 random characters in Crockford base32 (<c>org_01JD3...</c>). Ordering by id is ordering by
/// creation time, which is what list cursors rely on.
/// </summary>
public static class Ids
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    /// <summary>A new id with the given prefix (<c>org</c>, <c>prj</c>, <c>key</c>, ...).</summary>
    public static string New(string prefix, TimeProvider? time = null)
    {
        var ms = (time ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();
        Span<char> chars = stackalloc char[26];
        for (var i = 9; i >= 0; i--)
        {
            chars[i] = Alphabet[(int)(ms & 31)];
            ms >>= 5;
        }

        // Ids need uniqueness, not secrecy (secrets are made elsewhere): the shared PRNG is enough
        // and far cheaper than the cryptographic one on the request path.
        Span<byte> random = stackalloc byte[16];
        Random.Shared.NextBytes(random);
        for (var i = 0; i < 16; i++)
        {
            chars[10 + i] = Alphabet[random[i] & 31];
        }

        return string.Concat(prefix, "_", chars);
    }
}
