using System.Globalization;

namespace Tollgate.Accounts;

/// <summary>Instants on the wire: ISO 8601 UTC with milliseconds (<c>2026-07-04T00:00:00.000Z</c>); in the database, Unix milliseconds.</summary>
internal static class ApiTime
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    /// <summary>Formats Unix milliseconds for the API.</summary>
    public static string FromUnixMs(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>Formats nullable Unix milliseconds for the API.</summary>
    public static string? FromUnixMs(long? unixMs) => unixMs is { } ms ? FromUnixMs(ms) : null;

    /// <summary>Parses an ISO 8601 instant with an explicit offset (<c>Z</c> or <c>+02:00</c>) into Unix milliseconds.</summary>
    public static bool TryParse(string? text, out long unixMs)
    {
        unixMs = 0;
        if (string.IsNullOrWhiteSpace(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
            || !HasOffset(text))
        {
            return false;
        }

        unixMs = value.ToUnixTimeMilliseconds();
        return true;
    }

    // An instant without an offset is ambiguous; require one rather than guess.
    private static bool HasOffset(string text)
    {
        var t = text.Trim();
        if (t.EndsWith('Z') || t.EndsWith('z'))
        {
            return true;
        }

        var timeStart = t.IndexOf('T', StringComparison.OrdinalIgnoreCase);
        return timeStart > 0 && t.AsSpan(timeStart).IndexOfAny('+', '-') > 0;
    }
}
