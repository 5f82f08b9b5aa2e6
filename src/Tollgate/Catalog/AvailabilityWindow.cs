namespace Tollgate.Catalog;

/// <summary>An interval <c>[From, Until)</c> in which a provider mapping serves requests; null ends are open.</summary>
/// <param name="From">First instant of the window, or null for "since always".</param>
/// <param name="Until">First instant after the window, or null for "until further notice".</param>
public sealed record AvailabilityWindow(DateTimeOffset? From, DateTimeOffset? Until)
{
    /// <summary>Whether <paramref name="instant"/> lies in <c>[From, Until)</c>.</summary>
    public bool Contains(DateTimeOffset instant) =>
        (From is not { } from || from <= instant) && (Until is not { } until || instant < until);
}
