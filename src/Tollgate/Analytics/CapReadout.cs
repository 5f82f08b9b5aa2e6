using Dapper;
using Tollgate.Budgets;
using Tollgate.Storage;

namespace Tollgate.Analytics;

/// <summary>
/// One cap of a member or of one of their keys, as the budget engine enforces it now (its read
/// views: the same numbers admission decides on), with what identifies its current window.
/// </summary>
/// <param name="Scope"><c>member</c> or <c>key</c>.</param>
/// <param name="ScopeId">The member's or key's id.</param>
/// <param name="Name">The key's name (null for the member).</param>
/// <param name="Window">For a period cap, its rolling window (<c>hour</c>, <c>day</c>, ...); else null.</param>
/// <param name="WindowStart">The start of the window this spend counts in (UTC ms): the month for monthly caps, the counting start for fixed ones, the window length's epoch slot for rolling ones.</param>
internal sealed record CapReading(string Scope, string ScopeId, string? Name, string? Window, long WindowStart, CapStatus Status)
{
    /// <summary>Spent as a share of the limit, in percent (100 at or past a limit of 0).</summary>
    public decimal PercentUsed => Status.LimitPico == 0 ? 100m : decimal.Round(Status.UsedPico * 100m / Status.LimitPico, 2);
}

/// <summary>Reads the caps of a member and their keys from the budget engine.</summary>
internal sealed class CapReadout(BudgetEngine engine, Database database, TimeProvider time)
{
    /// <summary>The member's caps, then each of their keys' caps (keys with a budget only).</summary>
    public async Task<List<CapReading>> ReadAsync(string memberId, CancellationToken ct)
    {
        var caps = new List<CapReading>();
        var now = time.GetUtcNow();
        if (await engine.ViewMemberAsync(memberId, ct).ConfigureAwait(false) is not { } member)
        {
            return caps;
        }

        Add(caps, "member", memberId, null, member.SpendStatus, member.Spend?.Budget, member.PeriodStatus, member.Period?.Budget, now);
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        var keys = await connection.QueryAsync<(string Id, string Name)>(new CommandDefinition(
            """
            SELECT k.id, k.name FROM api_keys k JOIN budgets b ON b.scope_type = 'key' AND b.scope_id = k.id
            WHERE k.member_id = @memberId AND k.status <> 'deleted' ORDER BY k.id
            """,
            new { memberId }, cancellationToken: ct)).ConfigureAwait(false);
        foreach (var (keyId, name) in keys)
        {
            if (await engine.ViewKeyAsync(memberId, keyId, ct).ConfigureAwait(false) is { } key)
            {
                Add(caps, "key", keyId, name, key.SpendStatus, key.Configured.Spend, key.PeriodStatus, key.Configured.Period, now);
            }
        }

        return caps;
    }

    private static void Add(
        List<CapReading> caps, string scope, string id, string? name, CapStatus? spend, SpendBudget? spendBudget,
        CapStatus? period, PeriodBudget? periodBudget, DateTimeOffset now)
    {
        if (spend is not null)
        {
            var start = spend.Cap == "monthly"
                ? BudgetWindows.MonthStart(now).ToUnixTimeMilliseconds()
                : spendBudget?.CountingFrom?.ToUnixTimeMilliseconds() ?? 0;
            caps.Add(new CapReading(scope, id, name, null, start, spend));
        }

        if (period is not null && periodBudget is { Unlimited: false })
        {
            // A rolling window has no fixed start: alerts count it per window length, aligned to the epoch.
            var length = (long)BudgetWindows.Duration(periodBudget.Window).TotalMilliseconds;
            caps.Add(new CapReading(scope, id, name, BudgetWindows.Name(periodBudget.Window), Rollups.Floor(now.ToUnixTimeMilliseconds(), length), period));
        }
    }
}
