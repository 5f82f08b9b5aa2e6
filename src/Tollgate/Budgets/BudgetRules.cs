namespace Tollgate.Budgets;

/// <summary>How a spend budget counts.</summary>
public enum SpendType
{
    /// <summary>Chosen on purpose: nothing is capped.</summary>
    Unlimited,

    /// <summary>A one-time total since <c>countingFrom</c>; never resets.</summary>
    Fixed,

    /// <summary>Spend in the current calendar month (UTC) since <c>countingFrom</c>; resets on the 1st.</summary>
    Monthly,
}

/// <summary>A rolling window of a period cap.</summary>
public enum RollingWindow
{
    /// <summary>1 hour, in 1-minute buckets.</summary>
    Hour,

    /// <summary>24 hours, in 15-minute buckets.</summary>
    Day,

    /// <summary>7 × 24 hours, in 1-hour buckets.</summary>
    Week,

    /// <summary>30 days (a rolling month; the calendar month is the <c>monthly</c> budget), in 6-hour buckets.</summary>
    Month,
}

/// <summary>A spend budget: unlimited, or a limit of a type counted from an instant.</summary>
/// <param name="Type">The budget type.</param>
/// <param name="LimitPico">The limit (0 for unlimited).</param>
/// <param name="CountingFrom">Spend settled before this instant does not count (switching table of budgets.md).</param>
public sealed record SpendBudget(SpendType Type, long LimitPico, DateTimeOffset? CountingFrom);

/// <summary>A period cap: unlimited, or a limit per rolling window.</summary>
/// <param name="Unlimited">Chosen on purpose: no cap.</param>
/// <param name="LimitPico">The limit per window.</param>
/// <param name="Window">The window.</param>
public sealed record PeriodBudget(bool Unlimited, long LimitPico, RollingWindow Window);

/// <summary>Max active keys: unlimited, or a number.</summary>
public sealed record KeyCountBudget(bool Unlimited, int Value);

/// <summary>
/// A configured budget document. Each cap is null when <b>not set</b>, which is different from
/// unlimited and from a limit of 0 (budgets.md: "Not set, unlimited, zero").
/// </summary>
public sealed record BudgetConfig(SpendBudget? Spend, DateTimeOffset? SpendSetAt, PeriodBudget? Period, DateTimeOffset? PeriodSetAt, KeyCountBudget? MaxActiveKeys, DateTimeOffset? MaxKeysSetAt)
{
    /// <summary>Nothing set.</summary>
    public static readonly BudgetConfig Empty = new(null, null, null, null, null, null);
}

/// <summary>The fixed facts of rolling windows and calendar months.</summary>
public static class BudgetWindows
{
    /// <summary>The window's length D.</summary>
    public static TimeSpan Duration(RollingWindow window) => window switch
    {
        RollingWindow.Hour => TimeSpan.FromHours(1),
        RollingWindow.Day => TimeSpan.FromDays(1),
        RollingWindow.Week => TimeSpan.FromDays(7),
        RollingWindow.Month => TimeSpan.FromDays(30),
        _ => throw new ArgumentOutOfRangeException(nameof(window)),
    };

    /// <summary>The bucket width the window moves by.</summary>
    public static TimeSpan BucketWidth(RollingWindow window) => window switch
    {
        RollingWindow.Hour => TimeSpan.FromMinutes(1),
        RollingWindow.Day => TimeSpan.FromMinutes(15),
        RollingWindow.Week => TimeSpan.FromHours(1),
        RollingWindow.Month => TimeSpan.FromHours(6),
        _ => throw new ArgumentOutOfRangeException(nameof(window)),
    };

    /// <summary>The wire name (<c>hour</c>, <c>day</c>, <c>week</c>, <c>month</c>).</summary>
    public static string Name(RollingWindow window) => window.ToString().ToLowerInvariant();

    /// <summary>Parses a wire name.</summary>
    public static bool TryParse(string? name, out RollingWindow window)
    {
        switch (name)
        {
            case "hour": window = RollingWindow.Hour; return true;
            case "day": window = RollingWindow.Day; return true;
            case "week": window = RollingWindow.Week; return true;
            case "month": window = RollingWindow.Month; return true;
            default: window = default; return false;
        }
    }

    /// <summary>00:00 UTC on the 1st of the month that contains <paramref name="instant"/>.</summary>
    public static DateTimeOffset MonthStart(DateTimeOffset instant)
    {
        var utc = instant.UtcDateTime;
        return new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);
    }

    /// <summary>00:00 UTC on the 1st of the next month: the monthly reset.</summary>
    public static DateTimeOffset NextMonthStart(DateTimeOffset instant) => MonthStart(instant).AddMonths(1);

    /// <summary>The start of the bucket containing <paramref name="unixMs"/>: floor(t / width) × width, aligned to UTC.</summary>
    public static long BucketStart(long unixMs, long widthMs) => unixMs - (((unixMs % widthMs) + widthMs) % widthMs);
}
