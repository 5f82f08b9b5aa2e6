using Tollgate.Accounts;

namespace Tollgate.Budgets;

/// <summary>
/// The admission decision on the numbers as they are: reserve the worst case, clamp the output
/// limit to what the remaining budget pays for, or deny. Pure arithmetic on cap statuses: no I/O,
/// no clock (the caller builds the statuses at its <c>now</c>, with the reservations it counts).
/// </summary>
/// <param name="Denial">Why the request is refused; null when it is admitted.</param>
/// <param name="AmountPico">What to reserve (0 on a denial).</param>
/// <param name="GrantedMaxOutputTokens">Set when the output limit was clamped to fit.</param>
internal readonly record struct AdmissionDecision(BudgetDenial? Denial, long AmountPico, long? GrantedMaxOutputTokens)
{
    /// <summary>The smallest useful answer: a request is clamped only while it can still pay for this much output.</summary>
    public const long MinOutputTokens = 256;

    /// <summary>The member of a key could not be found or read: nothing can be admitted for it.</summary>
    public static readonly BudgetDenial UnreadableMember = new(DenialReason.MemberUnreadable, "budget_unavailable",
        "The member's budget could not be read, so the request was not sent.", null, null);

    /// <summary>
    /// Decides one request against the key's caps, the member's caps and (credits mode) the org's
    /// credits, each with its reservations already counted. Credits are checked before the key's and
    /// the member's caps (budgets.md, "Denial").
    /// </summary>
    public static AdmissionDecision Decide(AdmissionRequest request, List<CapStatus> keyCaps, List<CapStatus> memberCaps, CapStatus? credits)
    {
        // Input at its price plus the smallest useful answer: what a clamped request must still fit.
        var inputCost = CostEstimator.WorstCasePico(request.Price, request.EstimatedInputTokens, 0);
        var perToken = Math.Max(0, CostEstimator.WorstCasePico(request.Price, request.EstimatedInputTokens, 1) - inputCost);
        var needed = Math.Min(inputCost + (MinOutputTokens * perToken), request.EstimatedCostPico);

        if (credits is not null && (credits.Exhausted || credits.RemainingPico < needed))
        {
            return new AdmissionDecision(BudgetDenial.InsufficientCredits, 0, null);
        }

        var keyFailing = FirstFailing(keyCaps, needed);
        var memberFailing = FirstFailing(memberCaps, needed);
        if (keyFailing is not null || memberFailing is not null)
        {
            return new AdmissionDecision(Deny(request.Identity, keyFailing, memberFailing), 0, null);
        }

        var room = credits?.RemainingPico ?? long.MaxValue;
        foreach (var cap in keyCaps)
        {
            room = Math.Min(room, cap.RemainingPico);
        }

        foreach (var cap in memberCaps)
        {
            room = Math.Min(room, cap.RemainingPico);
        }

        var amount = request.EstimatedCostPico;
        long? granted = null;
        if (room < amount && perToken > 0)
        {
            // Only a smaller answer fits: clamp the output limit to what the remaining budget pays for.
            var tokens = Math.Min((room - inputCost) / perToken, request.MaxOutputTokens);
            granted = tokens;
            amount = inputCost + (tokens * perToken);
        }

        return new AdmissionDecision(null, amount, granted);
    }

    /// <summary>The first cap that is exhausted (a limit of 0 included) or has less than <paramref name="needed"/> left.</summary>
    public static CapStatus? FirstFailing(List<CapStatus> caps, long needed)
    {
        foreach (var cap in caps)
        {
            if (cap.Exhausted || cap.RemainingPico < needed)
            {
                return cap;
            }
        }

        return null;
    }

    /// <summary>
    /// The denial for a failing key cap and/or member cap: the key's message when a key cap failed
    /// (the member's, when it failed too, in the detail), else the member's.
    /// </summary>
    public static BudgetDenial Deny(KeyIdentity identity, CapStatus? key, CapStatus? member)
    {
        string MemberMessage(CapStatus m) => m.Cap switch
        {
            "fixed" => BudgetMessages.MemberFixed,
            "monthly" => BudgetMessages.MemberMonthly,
            _ => BudgetMessages.MemberPeriod,
        };

        if (key is not null)
        {
            var message = key.Cap == "period"
                ? BudgetMessages.KeyPeriod(identity.KeyName, key.UsedPico, key.LimitPico)
                : BudgetMessages.KeyBudget(identity.KeyName, key.UsedPico, key.LimitPico);
            var detail = member is null
                ? BudgetMessages.KeyDetail(identity.KeyName)
                : $"{MemberMessage(member)} {BudgetMessages.MemberDetail(member.UsedPico, member.LimitPico)}";
            return new BudgetDenial(DenialReason.CapExhausted, key.Cap == "period" ? "key_period_budget_exceeded" : "key_budget_exceeded", message, detail, key);
        }

        return new BudgetDenial(DenialReason.CapExhausted, member!.Cap == "period" ? "member_period_budget_exceeded" : "member_budget_exceeded",
            MemberMessage(member), BudgetMessages.MemberDetail(member.UsedPico, member.LimitPico), member);
    }
}
