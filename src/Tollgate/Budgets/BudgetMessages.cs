using System.Globalization;

namespace Tollgate.Budgets;

/// <summary>The exact denial wording of budgets.md.</summary>
public static class BudgetMessages
{
    /// <summary>Member fixed budget exhausted.</summary>
    public const string MemberFixed = "Member has reached their total spend budget.";

    /// <summary>Member monthly budget exhausted.</summary>
    public const string MemberMonthly = "Member has reached their monthly spend budget.";

    /// <summary>Member period cap exhausted.</summary>
    public const string MemberPeriod = "Member has reached their period spend budget.";

    /// <summary>Org credits exhausted.</summary>
    public const string InsufficientCredits = "Organization has insufficient credits.";

    /// <summary>Key budget exhausted.</summary>
    public static string KeyBudget(string name, long spentPico, long limitPico) =>
        $"API Key {name} has reached its budget limit ({Usd(spentPico)} / {Usd(limitPico)}). Other Keys are not affected.";

    /// <summary>Key period cap exhausted.</summary>
    public static string KeyPeriod(string name, long spentPico, long limitPico) =>
        $"API Key {name} has reached its period budget limit ({Usd(spentPico)} / {Usd(limitPico)}). Other Keys are not affected.";

    /// <summary>The sentence for people about an exhausted member budget.</summary>
    public static string MemberDetail(long spentPico, long limitPico) =>
        $"Your member budget has reached its limit ({Usd(spentPico)} / {Usd(limitPico)}). All services are paused. Please contact your admin to adjust.";

    /// <summary>The sentence for people about an exhausted key budget.</summary>
    public static string KeyDetail(string name) =>
        $"The budget of API key {name} is used up; your other API keys keep working.";

    /// <summary>
    /// USD with a <c>$</c> and two decimals rounded half-up (<c>$49.99</c>); more decimals only where
    /// two would show a non-zero amount as <c>$0.00</c>.
    /// </summary>
    public static string Usd(long pico)
    {
        var usd = Money.FromPico(pico);
        var decimals = 2;
        while (usd != 0 && decimal.Round(usd, decimals, MidpointRounding.AwayFromZero) == 0 && decimals < 12)
        {
            decimals++;
        }

        return "$" + decimal.Round(usd, decimals, MidpointRounding.AwayFromZero).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }
}
