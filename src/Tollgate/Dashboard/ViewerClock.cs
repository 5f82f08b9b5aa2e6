using System.Globalization;

namespace Tollgate.Dashboard;

/// <summary>
/// The viewer's time zone, as the browser reports it (IANA name), for showing times. The layout
/// asks the browser once per circuit before any page renders; an unknown name falls back to UTC.
/// </summary>
public sealed class ViewerClock
{
    // Renamed zones of the tz database's "backward" file that browsers still report by the old name.
    private static readonly Dictionary<string, string> CurrentNames = new(StringComparer.Ordinal)
    {
        ["Asia/Calcutta"] = "Asia/Kolkata",
        ["Asia/Katmandu"] = "Asia/Kathmandu",
        ["Asia/Saigon"] = "Asia/Ho_Chi_Minh",
        ["Asia/Rangoon"] = "Asia/Yangon",
        ["Europe/Kiev"] = "Europe/Kyiv",
        ["Atlantic/Faeroe"] = "Atlantic/Faroe",
        ["America/Buenos_Aires"] = "America/Argentina/Buenos_Aires",
        ["Pacific/Truk"] = "Pacific/Chuuk",
        ["Pacific/Ponape"] = "Pacific/Pohnpei",
    };

    /// <summary>The IANA name shown on pages ("Times in Europe/Paris").</summary>
    public string ZoneName { get; private set; } = "UTC";

    /// <summary>The zone.</summary>
    public TimeZoneInfo Zone { get; private set; } = TimeZoneInfo.Utc;

    /// <summary>True once the browser has told its zone.</summary>
    public bool Known { get; private set; }

    /// <summary>Sets the zone from the browser's IANA name.</summary>
    public void Set(string? ianaName)
    {
        Known = true;
        if (string.IsNullOrWhiteSpace(ianaName))
        {
            return;
        }

        // Browsers may report a zone by an older name that the zone database keeps as an alias
        // (Chromium says Asia/Calcutta); pages name the current one, as the analytics answers do.
        ianaName = CurrentNames.GetValueOrDefault(ianaName, ianaName);
        try
        {
            Zone = TimeZoneInfo.FindSystemTimeZoneById(ianaName);
            ZoneName = ianaName;
        }
        catch (TimeZoneNotFoundException)
        {
            // Keep UTC: a zone the server does not know is shown as UTC, and the page says so.
        }
        catch (InvalidTimeZoneException)
        {
        }
    }

    /// <summary>An instant in the viewer's zone: <c>2026-07-04 14:05</c>.</summary>
    public string Format(DateTimeOffset instant) =>
        TimeZoneInfo.ConvertTime(instant, Zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>An instant given as Unix milliseconds, in the viewer's zone.</summary>
    public string Format(long unixMs) => Format(DateTimeOffset.FromUnixTimeMilliseconds(unixMs));

    /// <summary>
    /// A date typed in the viewer's zone (<c>yyyy-MM-dd</c>) as the UTC instant its local day starts,
    /// <paramref name="days"/> later (1: the end of that day); text that is not such a date is passed on
    /// unchanged, so the service answers it with its own field error.
    /// </summary>
    public string? LocalDayStart(string? date, int days)
    {
        if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return string.IsNullOrWhiteSpace(date) ? null : date;
        }

        var local = day.AddDays(days).ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, Zone.GetUtcOffset(local)).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    }

    /// <summary>"Times in Europe/Paris".</summary>
    public string Caption => $"Times in {ZoneName}";
}
