using Tollgate.Budgets;

namespace Tollgate.Dashboard;

/// <summary>A key's budget status as the API keys table shows it: <c>$12.40 / $50.00</c>, a warning at 80%, Paused at the limit.</summary>
/// <param name="Text">Spend as text.</param>
/// <param name="Warning">At least 80% of a limit used.</param>
/// <param name="Paused">A limit is reached: requests with the key are refused.</param>
/// <param name="Period">The period cap as text, when one is set.</param>
public sealed record KeyBudgetText(string Text, bool Warning, bool Paused, string? Period)
{
    /// <summary>From the budget engine's view of the key (null: not loaded).</summary>
    internal static KeyBudgetText Of(KeyBudgetView? view)
    {
        if (view is null)
        {
            return new("Not set", false, false, null);
        }

        var spend = view.Configured.Spend;
        string text = spend switch
        {
            null => "Not set",
            { Type: SpendType.Unlimited } => "Unlimited",
            _ when view.SpendStatus is { } s => $"{Display.Usd(s.UsedPico)} / {Display.Usd(s.LimitPico)}{(spend.Type == SpendType.Monthly ? " this month" : "")}",
            _ => Display.Spend(spend),
        };
        string? period = view.Configured.Period switch
        {
            null => null,
            { Unlimited: true } => "Period: Unlimited",
            { } p when view.PeriodStatus is { } ps => $"Period: {Display.Usd(ps.UsedPico)} / {Display.Usd(ps.LimitPico)}{Display.Per(p.Window)}",
            { } p => "Period: " + Display.Period(p),
        };
        var caps = new[] { view.SpendStatus, view.PeriodStatus }.Where(c => c is not null).Select(c => c!).ToList();
        var paused = caps.Any(c => c.Exhausted);
        var warning = !paused && caps.Any(c => c.LimitPico > 0 && (c.UsedPico + c.ReservedPico) * 5 >= c.LimitPico * 4);
        return new(text, warning, paused, period);
    }
}
