using System.Globalization;

namespace Tollgate.Analytics;

/// <summary>
/// A run of local calendar days in one IANA time zone, as UTC instants: day <c>i</c> is
/// <c>[Starts[i], Starts[i + 1])</c>. A day is 23 or 25 hours across a DST change (24.5 or 23.5 on
/// Lord Howe), and 0 hours when the zone skipped the date (Pacific/Apia, 2011-12-30). Every zone in
/// use today starts its days on a 15-minute boundary of UTC, so each day is a whole number of
/// rollup buckets and its figures are exact; a historical offset that is not (local mean time) has
/// its day start rounded down to the bucket.
/// </summary>
internal sealed class LocalDays
{
    private LocalDays(TimeZoneInfo zone, DateOnly from, DateOnly to, long[] starts)
    {
        Zone = zone;
        From = from;
        To = to;
        Starts = starts;
    }

    /// <summary>The longest range a query may ask for, in days.</summary>
    public const int MaxDays = 366;

    public TimeZoneInfo Zone { get; }

    public DateOnly From { get; }

    public DateOnly To { get; }

    /// <summary>Day starts in UTC ms, one more than <see cref="Count"/> (the last is the end of <see cref="To"/>).</summary>
    public long[] Starts { get; }

    public int Count => Starts.Length - 1;

    /// <summary>Start of the range (UTC ms).</summary>
    public long Start => Starts[0];

    /// <summary>End of the range, exclusive (UTC ms).</summary>
    public long End => Starts[^1];

    public DateOnly Date(int day) => From.AddDays(day);

    /// <summary>The days from <paramref name="from"/> to <paramref name="to"/>, both included.</summary>
    public static LocalDays Create(TimeZoneInfo zone, DateOnly from, DateOnly to)
    {
        var starts = new long[to.DayNumber - from.DayNumber + 2];
        for (var i = 0; i < starts.Length; i++)
        {
            starts[i] = Rollups.Floor(DayStart(zone, from.AddDays(i)), Rollups.QuarterMs);
        }

        return new LocalDays(zone, from, to, starts);
    }

    /// <summary>A zone by IANA name (<c>UTC</c> included); false for a name this machine's time zone data lacks.</summary>
    public static bool TryFindZone(string? name, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrEmpty(name) || name is "UTC" or "Etc/UTC")
        {
            return string.IsNullOrEmpty(name) || name is "UTC" or "Etc/UTC";
        }

        // Only names of the IANA form: a Windows id or a path is not a zone name here.
        if (name.Length > 64 || name.Contains("..", StringComparison.Ordinal) || name.StartsWith('/') || name.Contains(' ', StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(name);
            return true;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return false;
        }
    }

    /// <summary>Today's date in the zone.</summary>
    public static DateOnly Today(TimeZoneInfo zone, DateTimeOffset now) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(now.UtcDateTime, zone));

    /// <summary>Parses <c>YYYY-MM-DD</c>.</summary>
    public static bool TryParseDate(string text, out DateOnly date) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);

    /// <summary>The first UTC instant whose local date is <paramref name="date"/> or later (UTC ms).</summary>
    public static long DayStart(TimeZoneInfo zone, DateOnly date)
    {
        var midnight = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        if (!zone.IsInvalidTime(midnight))
        {
            // An ambiguous midnight (clocks went back to it) starts at its first occurrence: the larger offset.
            var offset = zone.IsAmbiguousTime(midnight) ? zone.GetAmbiguousTimeOffsets(midnight).Max() : zone.GetUtcOffset(midnight);
            return new DateTimeOffset(midnight.Ticks - offset.Ticks, TimeSpan.Zero).ToUnixTimeMilliseconds();
        }

        // Midnight was skipped (a DST gap at midnight, or a skipped date): search the minute the date begins.
        var midnightAsUtcMs = new DateTimeOffset(midnight.Ticks, TimeSpan.Zero).ToUnixTimeMilliseconds();
        long lo = midnightAsUtcMs - (26 * Rollups.HourMs), hi = midnightAsUtcMs + (26 * Rollups.HourMs);
        const long Minute = 60_000;
        while (hi - lo > Minute)
        {
            var mid = lo + ((hi - lo) / 2 / Minute * Minute);
            var local = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTimeOffset.FromUnixTimeMilliseconds(mid).UtcDateTime, zone));
            if (local >= date)
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }
        }

        return hi;
    }
}
