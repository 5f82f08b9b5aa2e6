using System.Globalization;

namespace Tollgate.Dashboard;

/// <summary>
/// The viewer's time zone, as the browser reports it (IANA name), for showing times. The layout
/// asks the browser once per circuit before any page renders; an unknown name falls back to UTC.
/// </summary>
public sealed class ViewerClock
{
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

    /// <summary>"Times in Europe/Paris".</summary>
    public string Caption => $"Times in {ZoneName}";
}
