using Tollgate.Accounts;
using Tollgate.Catalog;

namespace Tollgate.Budgets;

/// <summary>
/// The one admission seam every billable endpoint calls: <see cref="ReserveAsync"/> before any byte
/// goes upstream, <see cref="SettleAttemptAsync"/> once per provider attempt, and
/// <see cref="ReleaseAsync"/> when the request is over.
/// </summary>
internal sealed class BudgetAdmission
{
    private readonly SpendLedger _ledger;
    private readonly BudgetEngine _engine;

    public BudgetAdmission(SpendLedger ledger, BudgetEngine engine)
    {
        _ledger = ledger;
        _engine = engine;
        ledger.OnCommitted = engine.CountCommitted; // one node: rows are counted as they commit
    }

    /// <summary>Reserves the worst-case cost of a request on every applicable cap, or denies it.</summary>
    public async ValueTask<AdmissionResult> ReserveAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await _engine.ReserveAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (System.Data.Common.DbException)
        {
            // Spend state that cannot be read denies; it never admits (fail closed).
            return new AdmissionResult(null, new BudgetDenial(DenialReason.StateUnavailable, "budget_unavailable",
                "Budget state is unavailable right now, so the request was not sent. Try again shortly.", null, null));
        }
    }

    /// <summary>
    /// Charges one provider attempt: the ledger row is durable when this completes, and the caps
    /// count it. Called exactly once per attempt, from the attempt's <c>finally</c>.
    /// <paramref name="lastAttempt"/>: no attempt follows, so other nodes stop counting the
    /// request's hold in the same transaction as its last charge (one write fewer per request), and
    /// the rest of the reservation is released here.
    /// </summary>
    public async Task SettleAttemptAsync(Reservation reservation, LedgerEntry entry, bool lastAttempt)
    {
        entry = entry with
        {
            NodeId = _engine.NodeId,
            HoldId = reservation.HoldId,
            DropsHold = lastAttempt && reservation.HoldId is not null,
            CreditsPico = reservation.CreditsOrgId is null ? 0 : entry.CostPico,
        };
        await _ledger.AppendAsync(entry).ConfigureAwait(false);
        if (entry.DropsHold)
        {
            reservation.HoldDropped = true;
        }

        await _engine.SettleAsync(reservation, entry).ConfigureAwait(false);
        if (lastAttempt)
        {
            // No attempt follows: the rest of the hold goes now, before the endpoint sends the end of
            // its answer, so a budget read after the answer never shows it as still reserved.
            await _engine.ReleaseAsync(reservation).ConfigureAwait(false);
        }
    }

    /// <summary>Releases what is still held by the reservation. Idempotent.</summary>
    public Task ReleaseAsync(Reservation reservation) => _engine.ReleaseAsync(reservation);
}

/// <summary>What a request asks admission for.</summary>
/// <param name="Identity">The calling key.</param>
/// <param name="Service">The metered service (<c>llm</c> for the gateway).</param>
/// <param name="Model">Catalog model id.</param>
/// <param name="Price">The price in force at the request's start, tier applied for its size.</param>
/// <param name="EstimatedInputTokens">Upper bound of the prompt's tokens.</param>
/// <param name="MaxOutputTokens">The most output the request can produce.</param>
/// <param name="EstimatedCostPico">Worst-case cost.</param>
internal sealed record AdmissionRequest(
    KeyIdentity Identity,
    string Service,
    string Model,
    ModelPrice Price,
    long EstimatedInputTokens,
    long MaxOutputTokens,
    long EstimatedCostPico)
{
    /// <summary>
    /// Whether the request draws on the org's credits when the org is in credits mode. A request
    /// served with the org's own provider key does not (gateway.md); member and key caps apply either way.
    /// </summary>
    public bool ConsumesCredits { get; init; } = true;
}

/// <summary>A hold on the caps for one request.</summary>
/// <param name="Request">What was reserved for.</param>
/// <param name="ReservedPico">The amount held at admission.</param>
/// <param name="GrantedMaxOutputTokens">Set when the output limit was clamped to fit the remaining budget.</param>
internal sealed record Reservation(AdmissionRequest Request, long ReservedPico, long? GrantedMaxOutputTokens)
{
    /// <summary>What is still held: settlements lower it by what they charge, release sets it to 0.</summary>
    public long RemainingPico { get; set; } = ReservedPico;

    /// <summary>The id of the hold other nodes see (PostgreSQL), null on a single node.</summary>
    public string? HoldId { get; init; }

    /// <summary>The hold's row is gone already (dropped with the last charge).</summary>
    public bool HoldDropped { get; set; }

    /// <summary>
    /// The org whose credits this reservation holds: set when the org was in credits mode at admission
    /// (and the request consumes credits), so its settlements are charged to the credits whatever the
    /// mode is by then. Null when no credits are involved.
    /// </summary>
    public string? CreditsOrgId { get; init; }
}

/// <summary>Why admission refused a request; each endpoint words it in its own error format.</summary>
internal enum DenialReason
{
    /// <summary>A key or member cap has no room (budgets.md, "Denial": 403).</summary>
    CapExhausted,

    /// <summary>The org's prepaid credits have no room (402).</summary>
    InsufficientCredits,

    /// <summary>The key's member could not be found or read, so nothing can be admitted for it.</summary>
    MemberUnreadable,

    /// <summary>Spend state could not be read (database unavailable): admission fails closed.</summary>
    StateUnavailable,
}

/// <summary>Why a request was refused by admission. Carries no transport detail: the endpoint renders it.</summary>
/// <param name="Reason">The kind of refusal.</param>
/// <param name="Code">Machine code, e.g. <c>member_budget_exceeded</c>.</param>
/// <param name="Message">The exact message of budgets.md.</param>
/// <param name="Detail">A sentence for people.</param>
/// <param name="Cap">The cap that refused, for the <c>budget</c> object.</param>
internal sealed record BudgetDenial(DenialReason Reason, string Code, string Message, string? Detail, CapStatus? Cap)
{
    /// <summary>The org's credits have no room for the request (budgets.md, "Denial").</summary>
    public static BudgetDenial InsufficientCredits { get; } = new(
        DenialReason.InsufficientCredits,
        "insufficient_credits",
        BudgetMessages.InsufficientCredits,
        "The organization's prepaid credits cannot pay for this request. An owner or admin can add credits.",
        null);
}

/// <summary>Admitted with a reservation, or denied.</summary>
internal readonly record struct AdmissionResult(Reservation? Reservation, BudgetDenial? Denial);

/// <summary>Worst-case cost estimates made before a request goes upstream.</summary>
public static class CostEstimator
{
    /// <summary>
    /// An upper bound of a prompt's tokens from its UTF-8 size: no tokenizer emits more tokens than
    /// bytes, so the byte count bounds the input cost from above.
    /// </summary>
    public static long InputTokenBound(long requestBytes) => Math.Max(1, requestBytes);

    /// <summary>Worst-case cost of a token request: input bound plus the maximum output at the output price.</summary>
    public static long WorstCasePico(ModelPrice price, long inputTokens, long maxOutputTokens) =>
        Money.ToPico(CostCalculator.Compute(price, new TokenUsage(inputTokens, 0, 0, maxOutputTokens, 0)));
}
