namespace Tollgate.Budgets;

/// <summary>A cap as it applies to a member or key, with where it comes from.</summary>
/// <param name="Source"><c>member</c>, <c>default</c> or <c>key</c>.</param>
internal sealed record EffectiveSpend(SpendBudget Budget, string Source);

/// <summary>A period cap as it applies, with where it comes from and since when it counts.</summary>
internal sealed record EffectivePeriod(PeriodBudget Budget, string Source, DateTimeOffset? CountingFrom);

/// <summary>One cap's numbers as enforced and as shown (they are the same numbers).</summary>
/// <param name="Scope"><c>member</c> or <c>key</c>.</param>
/// <param name="Cap"><c>fixed</c>, <c>monthly</c> or <c>period</c>.</param>
public sealed record CapStatus(string Scope, string Cap, long LimitPico, long UsedPico, long ReservedPico, DateTimeOffset? ResetsAt)
{
    /// <summary><c>limit − used − reserved</c>, never negative.</summary>
    public long RemainingPico => Math.Max(0, LimitPico - UsedPico - ReservedPico);

    /// <summary>A limit of 0, or spend at or over the limit, blocks every request.</summary>
    public bool Exhausted => LimitPico == 0 || UsedPico >= LimitPico;
}

/// <summary>A member's budget as configured, as effective, and as used.</summary>
internal sealed record MemberBudgetView(
    BudgetConfig Configured, EffectiveSpend? Spend, EffectivePeriod? Period, (KeyCountBudget Budget, string Source)? MaxKeys,
    CapStatus? SpendStatus, CapStatus? PeriodStatus, long LifetimePico, long ReservedPico);

/// <summary>An org's credits: billing mode, credited and charged (settled), reserved by requests in flight on every node.</summary>
internal sealed record CreditsView(string BillingMode, long CreditedPico, long ChargedPico, long ReservedPico)
{
    /// <summary>credited − charged: negative when metered usage reported after the fact went past it.</summary>
    public long BalancePico => CreditedPico - ChargedPico;

    /// <summary>What a new request may still reserve: balance − reserved, never negative.</summary>
    public long AvailablePico => Math.Max(0, BalancePico - ReservedPico);
}

/// <summary>A key's budget as configured and as used, with the owning member's smallest remaining allowance.</summary>
internal sealed record KeyBudgetView(BudgetConfig Configured, CapStatus? SpendStatus, CapStatus? PeriodStatus, long LifetimePico, long? MemberRemainingPico);

/// <summary>Builds the read views from a member's loaded state: what is shown is what is enforced.</summary>
internal static class BudgetViews
{
    /// <summary>
    /// The member's view at <paramref name="now"/> (call under the slot's <c>Sync</c>): this node's
    /// reservations plus <paramref name="otherHolds"/>, what other live nodes hold.
    /// </summary>
    public static MemberBudgetView Member(MemberSlot slot, MemberState state, long otherHolds, DateTimeOffset now)
    {
        var reservedAll = slot.ReservedMember + otherHolds;
        return new MemberBudgetView(state.Own, state.Spend, state.Period, state.MaxKeys,
            state.SpendStatus(now, reservedAll), state.PeriodStatus(now, reservedAll),
            state.Lifetime.UsedPico(now), reservedAll);
    }

    /// <summary>A key's view at <paramref name="now"/> (call under the slot's <c>Sync</c>), with the member's smallest remaining allowance.</summary>
    public static KeyBudgetView Key(MemberSlot slot, MemberState state, KeyState key, string keyId, long otherMember, long otherKey, DateTimeOffset now)
    {
        var reserved = slot.ReservedFor(keyId) + otherKey;
        long? memberRemaining = null;
        foreach (var cap in state.Caps(now, slot.ReservedMember + otherMember))
        {
            memberRemaining = Math.Min(memberRemaining ?? long.MaxValue, cap.RemainingPico);
        }

        return new KeyBudgetView(key.Config, key.SpendStatus(now, reserved), key.PeriodStatus(now, reserved), key.Lifetime.UsedPico(now), memberRemaining);
    }
}
