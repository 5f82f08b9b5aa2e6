using System.Data.Common;

namespace Tollgate.Budgets;

/// <summary>Counters of one scope (a member or a key) for its spend budget and period cap.</summary>
internal abstract class ScopeCounters
{
    public required TotalCounter Lifetime { get; init; }
    public CapCounter? SpendCounter { get; init; }
    public CapCounter? PeriodCounter { get; init; }

    protected abstract SpendBudget? SpendCap { get; }
    protected abstract PeriodBudget? PeriodCap { get; }

    public void Apply(string id, DateTimeOffset endedAt, long costPico)
    {
        Lifetime.Add(endedAt, costPico);
        SpendCounter?.Add(endedAt, costPico);
        PeriodCounter?.Add(endedAt, costPico);
    }

    public CapStatus? SpendStatus(DateTimeOffset now, long reserved, string scope = "member") =>
        SpendCap is { Type: not SpendType.Unlimited } s && SpendCounter is { } c
            ? new CapStatus(scope, s.Type == SpendType.Fixed ? "fixed" : "monthly", s.LimitPico, c.UsedPico(now), reserved, c.ResetsAt(now))
            : null;

    public CapStatus? PeriodStatus(DateTimeOffset now, long reserved, string scope = "member") =>
        PeriodCap is { Unlimited: false } p && PeriodCounter is { } c
            ? new CapStatus(scope, "period", p.LimitPico, c.UsedPico(now), reserved, c.ResetsAt(now))
            : null;

    public List<CapStatus> Caps(DateTimeOffset now, string scope, long reserved)
    {
        var caps = new List<CapStatus>(2);
        if (SpendStatus(now, reserved, scope) is { } s)
        {
            caps.Add(s);
        }

        if (PeriodStatus(now, reserved, scope) is { } p)
        {
            caps.Add(p);
        }

        return caps;
    }

    protected static async Task<(TotalCounter Lifetime, CapCounter? Spend, CapCounter? Period)> LoadCountersAsync(
        DbConnection connection, BudgetScope scope, string id, SpendBudget? spend, PeriodBudget? period, DateTimeOffset? periodFrom, DateTimeOffset now)
    {
        var lifetime = new TotalCounter(await BudgetStore.SumAsync(connection, scope, id, null).ConfigureAwait(false), null);
        CapCounter? spendCounter = null;
        if (spend is { Type: SpendType.Fixed })
        {
            spendCounter = new TotalCounter(await BudgetStore.SumAsync(connection, scope, id, spend.CountingFrom?.ToUnixTimeMilliseconds()).ConfigureAwait(false), spend.CountingFrom);
        }
        else if (spend is { Type: SpendType.Monthly })
        {
            var from = BudgetWindows.MonthStart(now);
            if (spend.CountingFrom is { } cf && cf > from)
            {
                from = cf;
            }

            spendCounter = new MonthlyCounter(now, await BudgetStore.SumAsync(connection, scope, id, from.ToUnixTimeMilliseconds()).ConfigureAwait(false), spend.CountingFrom);
        }

        CapCounter? periodCounter = null;
        if (period is { Unlimited: false })
        {
            var width = (long)BudgetWindows.BucketWidth(period.Window).TotalMilliseconds;
            var since = now.ToUnixTimeMilliseconds() - (long)BudgetWindows.Duration(period.Window).TotalMilliseconds - width;
            if (periodFrom is { } pf && pf.ToUnixTimeMilliseconds() > since)
            {
                since = pf.ToUnixTimeMilliseconds();
            }

            periodCounter = new RollingCounter(period.Window, periodFrom, await BudgetStore.BucketsAsync(connection, scope, id, width, since).ConfigureAwait(false));
        }

        return (lifetime, spendCounter, periodCounter);
    }
}

/// <summary>A member's effective caps and counters.</summary>
internal sealed class MemberState : ScopeCounters
{
    public required BudgetStore.MemberFacts Facts { get; init; }
    public required BudgetConfig Own { get; init; }
    public EffectiveSpend? Spend { get; init; }
    public EffectivePeriod? Period { get; init; }
    public (KeyCountBudget Budget, string Source)? MaxKeys { get; init; }
    public Dictionary<string, KeyState> Keys { get; } = new(StringComparer.Ordinal);

    protected override SpendBudget? SpendCap => Spend?.Budget;
    protected override PeriodBudget? PeriodCap => Period?.Budget;

    public List<CapStatus> Caps(DateTimeOffset now, long reserved) => Caps(now, "member", reserved);

    public void Apply(LedgerEntry entry) => Apply(entry.Id, entry.Service == "llm" ? entry.KeyId : null, entry.EndedAt, entry.CostPico);

    /// <summary>Counts a settled charge for the member and, when <paramref name="keyId"/> is given, for that key.</summary>
    public void Apply(string id, string? keyId, DateTimeOffset endedAt, long costPico)
    {
        Apply(id, endedAt, costPico);
        if (keyId is not null && Keys.TryGetValue(keyId, out var key))
        {
            key.Apply(id, endedAt, costPico);
        }
    }

    /// <summary>Loads a member's facts, own and default caps and counters; null for an unknown member.</summary>
    public static async Task<MemberState?> FindAndLoadAsync(DbConnection connection, DbTransaction? tx, string memberId, DateTimeOffset now)
    {
        var facts = await BudgetStore.FindMemberAsync(connection, tx, memberId).ConfigureAwait(false);
        if (facts is null)
        {
            return null;
        }

        var own = await BudgetStore.GetAsync(connection, tx, BudgetScope.Member, memberId).ConfigureAwait(false);
        var defaults = await BudgetStore.GetAsync(connection, tx, BudgetScope.Default, facts.OrgId).ConfigureAwait(false);
        return await LoadAsync(connection, facts, own, defaults, now).ConfigureAwait(false);
    }

    public static async Task<MemberState> LoadAsync(DbConnection connection, BudgetStore.MemberFacts facts, BudgetConfig own, BudgetConfig defaults, DateTimeOffset now)
    {
        // Per cap: the member's own setting, else (developers only) the org default, counting from
        // the later of when the default was set and when the member began to inherit it.
        var inherits = facts.Role == "developer";
        EffectiveSpend? spend = own.Spend is { } s ? new EffectiveSpend(s, "member")
            : inherits && defaults.Spend is { } ds ? new EffectiveSpend(ds with { CountingFrom = Later(ds.CountingFrom, facts.RoleSince) }, "default")
            : null;
        EffectivePeriod? period = own.Period is { } p ? new EffectivePeriod(p, "member", null)
            : inherits && defaults.Period is { } dp ? new EffectivePeriod(dp, "default", Later(defaults.PeriodSetAt, facts.RoleSince))
            : null;
        (KeyCountBudget, string)? keys = own.MaxActiveKeys is { } k ? (k, "member")
            : inherits && defaults.MaxActiveKeys is { } dk ? (dk, "default")
            : null;

        var (lifetime, spendCounter, periodCounter) = await LoadCountersAsync(
            connection, BudgetScope.Member, facts.MemberId, spend?.Budget, period?.Budget, period?.CountingFrom, now).ConfigureAwait(false);
        return new MemberState
        {
            Facts = facts,
            Own = own,
            Spend = spend,
            Period = period,
            MaxKeys = keys,
            Lifetime = lifetime,
            SpendCounter = spendCounter,
            PeriodCounter = periodCounter,
        };
    }

    private static DateTimeOffset Later(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;
}

/// <summary>A key's caps and counters. Keys do not inherit defaults.</summary>
internal sealed class KeyState : ScopeCounters
{
    public required BudgetConfig Config { get; init; }

    protected override SpendBudget? SpendCap => Config.Spend;
    protected override PeriodBudget? PeriodCap => Config.Period;

    public CapStatus? SpendStatus(DateTimeOffset now, long reserved) => SpendStatus(now, reserved, "key");

    public CapStatus? PeriodStatus(DateTimeOffset now, long reserved) => PeriodStatus(now, reserved, "key");

    public static async Task<KeyState> LoadAsync(DbConnection connection, string keyId, BudgetConfig config, DateTimeOffset now)
    {
        var (lifetime, spend, period) = await LoadCountersAsync(connection, BudgetScope.Key, keyId, config.Spend, config.Period, null, now).ConfigureAwait(false);
        return new KeyState { Config = config, Lifetime = lifetime, SpendCounter = spend, PeriodCounter = period };
    }
}
