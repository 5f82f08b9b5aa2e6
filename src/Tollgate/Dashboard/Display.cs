using System.Globalization;
using Tollgate.Budgets;

namespace Tollgate.Dashboard;

/// <summary>How numbers read on pages: money as <c>$1,234.56</c>, caps as <c>$500.00/month</c>.</summary>
public static class Display
{
    /// <summary>
    /// USD with thousands separators and two decimals; amounts finer than a cent keep up to six
    /// decimals (<c>$0.000375</c>), so a small charge never reads as <c>$0.00</c>.
    /// </summary>
    public static string Usd(decimal usd)
    {
        var sign = usd < 0 ? "-" : "";
        var abs = Math.Abs(usd);
        var format = decimal.Round(abs, 2) == abs ? "#,##0.00" : "#,##0.00####";
        return sign + "$" + decimal.Round(abs, 6, MidpointRounding.AwayFromZero).ToString(format, CultureInfo.InvariantCulture);
    }

    /// <summary>Pico-dollars as USD.</summary>
    public static string Usd(long pico) => Usd(Money.FromPico(pico));

    /// <summary>A whole number with thousands separators.</summary>
    public static string Count(long n) => n.ToString("#,##0", CultureInfo.InvariantCulture);

    /// <summary>The name of a rolling window as a rate: <c>/day</c>.</summary>
    public static string Per(RollingWindow window) => window switch
    {
        RollingWindow.Hour => "/hour",
        RollingWindow.Day => "/day",
        RollingWindow.Week => "/week",
        _ => "/month (rolling)",
    };

    /// <summary>A spend budget as text: <c>$500.00/month</c>, <c>$100.00 total</c>, <c>Unlimited</c>, <c>Not set</c>.</summary>
    internal static string Spend(SpendBudget? spend) => spend switch
    {
        null => "Not set",
        { Type: SpendType.Unlimited } => "Unlimited",
        { Type: SpendType.Monthly } => Usd(spend.LimitPico) + "/month",
        _ => Usd(spend.LimitPico) + " total",
    };

    /// <summary>A period cap as text: <c>$10.00/day</c>, <c>Unlimited</c>, <c>Not set</c>.</summary>
    internal static string Period(PeriodBudget? period) => period switch
    {
        null => "Not set",
        { Unlimited: true } => "Unlimited",
        _ => Usd(period.LimitPico) + Per(period.Window),
    };

    /// <summary>A max-active-keys cap as text: <c>3 keys</c>, <c>Unlimited</c>, <c>Not set</c>.</summary>
    internal static string Keys(KeyCountBudget? keys) => keys switch
    {
        null => "Not set",
        { Unlimited: true } => "Unlimited",
        { Value: 1 } => "1 key",
        _ => keys.Value.ToString(CultureInfo.InvariantCulture) + " keys",
    };

    /// <summary>A role's display name: <c>Developer</c>.</summary>
    public static string Role(string role) => role.Length == 0 ? role : char.ToUpperInvariant(role[0]) + role[1..];
}
