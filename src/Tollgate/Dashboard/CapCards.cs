using Tollgate.Accounts;
using Tollgate.Budgets;

namespace Tollgate.Dashboard;

/// <summary>The state of one cap as a card shows it.</summary>
public enum CapState
{
    /// <summary>No cap applies (not set on the member, no default).</summary>
    NotSet,

    /// <summary>Explicitly unlimited.</summary>
    Unlimited,

    /// <summary>A limit with room left.</summary>
    Limit,

    /// <summary>A limit that is reached: requests are refused until it resets.</summary>
    Paused,
}

/// <summary>
/// One cap of a member as the budget engine enforces it, ready to show: used, reserved, limit,
/// remaining, reset and window, where it comes from, and whether it binds first.
/// </summary>
/// <param name="Title">Spend budget, Period cap or Active API keys.</param>
/// <param name="LimitText">The cap as text (<c>$50.00/month</c>, <c>Not set</c>, <c>Unlimited</c>, <c>3 keys</c>).</param>
/// <param name="State">Not set, unlimited, limit or paused.</param>
/// <param name="Source"><c>member</c>, <c>default</c> or <c>key</c>; null when nothing applies.</param>
/// <param name="Used">Used in the current window (money as text, or a key count).</param>
/// <param name="Reserved">Held by requests in flight; null for key counts.</param>
/// <param name="Limit">The limit as text; null without one.</param>
/// <param name="Remaining">What is left: limit − used − reserved; null without a limit.</param>
/// <param name="Percent">Used and reserved as a share of the limit, 0–100; null without a limit.</param>
/// <param name="ResetsAt">When the window next frees spend; null for totals and counts.</param>
/// <param name="Window">How the window runs: calendar month, rolling day, total, count.</param>
/// <param name="Binding">True for the cap with the least remaining, the one that stops requests first.</param>
public sealed record CapCardModel(
    string Title, string LimitText, CapState State, string? Source, string Used, string? Reserved, string? Limit, string? Remaining,
    double? Percent, DateTimeOffset? ResetsAt, string Window, bool Binding);

/// <summary>Builds cap cards from the budget engine's view of a member: the numbers admission enforces.</summary>
public static class CapCards
{
    /// <summary>The member's three caps: spend budget, period cap, max active keys.</summary>
    internal static IReadOnlyList<CapCardModel> ForMember(MemberBudget budget)
    {
        var view = budget.View;
        var spend = Spend(view);
        var period = Period(view);
        var keys = Keys(view, budget.ActiveKeys);

        // The binding cap: of the money caps with a limit, the one with the least remaining.
        var candidates = new List<(CapCardModel Card, long Remaining)>();
        if (view.SpendStatus is { } s && view.Spend is { Budget.Type: not SpendType.Unlimited })
        {
            candidates.Add((spend, s.RemainingPico));
        }

        if (view.PeriodStatus is { } p && view.Period is { Budget.Unlimited: false })
        {
            candidates.Add((period, p.RemainingPico));
        }

        if (candidates.Count > 0)
        {
            var binding = candidates.MinBy(c => c.Remaining).Card;
            spend = spend == binding ? spend with { Binding = true } : spend;
            period = period == binding ? period with { Binding = true } : period;
        }

        return [spend, period, keys];
    }

    private static CapCardModel Spend(MemberBudgetView view)
    {
        const string title = "Spend budget";
        if (view.Spend is not { } effective)
        {
            return new(title, "Not set", CapState.NotSet, null, Display.Usd(view.LifetimePico), Display.Usd(view.ReservedPico), null, null, null, null, "No limit", false);
        }

        if (effective.Budget.Type == SpendType.Unlimited)
        {
            return new(title, "Unlimited", CapState.Unlimited, effective.Source, Display.Usd(view.LifetimePico), Display.Usd(view.ReservedPico), null, null, null, null, "No limit", false);
        }

        var window = effective.Budget.Type == SpendType.Monthly ? "Calendar month (UTC)" : "Total, never resets";
        return Limited(title, Display.Spend(effective.Budget), effective.Source, view.SpendStatus, window);
    }

    private static CapCardModel Period(MemberBudgetView view)
    {
        const string title = "Period cap";
        if (view.Period is not { } effective)
        {
            return new(title, "Not set", CapState.NotSet, null, Display.Usd(0), null, null, null, null, null, "No limit", false);
        }

        if (effective.Budget.Unlimited)
        {
            return new(title, "Unlimited", CapState.Unlimited, effective.Source, Display.Usd(0), null, null, null, null, null, "No limit", false);
        }

        var window = "Rolling " + BudgetWindows.Name(effective.Budget.Window) + (effective.Budget.Window == RollingWindow.Month ? " (30 days)" : "");
        return Limited(title, Display.Period(effective.Budget), effective.Source, view.PeriodStatus, window);
    }

    private static CapCardModel Limited(string title, string limitText, string source, CapStatus? status, string window)
    {
        if (status is null)
        {
            return new(title, limitText, CapState.Limit, source, Display.Usd(0), Display.Usd(0), null, null, null, null, window, false);
        }

        var percent = status.LimitPico == 0 ? 100.0 : Math.Min(100.0, (double)(status.UsedPico + status.ReservedPico) * 100.0 / status.LimitPico);
        return new(title, limitText, status.Exhausted ? CapState.Paused : CapState.Limit, source,
            Display.Usd(status.UsedPico), Display.Usd(status.ReservedPico), Display.Usd(status.LimitPico), Display.Usd(status.RemainingPico),
            percent, status.ResetsAt, window, false);
    }

    private static CapCardModel Keys(MemberBudgetView view, long activeKeys)
    {
        const string title = "Active API keys";
        var used = Display.Count(activeKeys);
        if (view.MaxKeys is not { } effective)
        {
            return new(title, "Not set", CapState.NotSet, null, used, null, null, null, null, null, "Count of active keys", false);
        }

        if (effective.Budget.Unlimited)
        {
            return new(title, "Unlimited", CapState.Unlimited, effective.Source, used, null, null, null, null, null, "Count of active keys", false);
        }

        var limit = effective.Budget.Value;
        var percent = limit == 0 ? 100.0 : Math.Min(100.0, activeKeys * 100.0 / limit);
        return new(title, Display.Keys(effective.Budget), activeKeys >= limit ? CapState.Paused : CapState.Limit, effective.Source,
            used, null, Display.Count(limit), Display.Count(Math.Max(0, limit - activeKeys)), percent, null, "Count of active keys", false);
    }

    /// <summary>Where a cap comes from, in words.</summary>
    public static string SourceText(string? source) => source switch
    {
        "default" => "From default developer limits",
        "member" => "Set on this member",
        "key" => "Set on the key",
        _ => "",
    };
}
