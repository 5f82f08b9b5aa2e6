using Tollgate.Accounts;
using Tollgate.Catalog;

namespace Tollgate.Budgets;

/// <summary>
/// The one admission seam every billable endpoint calls: <see cref="ReserveAsync"/> before any byte
/// goes upstream, <see cref="SettleAttemptAsync"/> once per provider attempt, and
/// <see cref="Release"/> when the request is over. The budget engine plugs its caps in here; the
/// endpoints do not change.
/// </summary>
public sealed class BudgetAdmission(SpendLedger ledger)
{
    /// <summary>Reserves the worst-case cost of a request on every applicable cap, or denies it.</summary>
    public ValueTask<AdmissionResult> ReserveAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        // No caps exist yet: every request is admitted with its full output limit.
        var reservation = new Reservation(request, request.EstimatedCostPico, GrantedMaxOutputTokens: null);
        return ValueTask.FromResult(new AdmissionResult(reservation, null));
    }

    /// <summary>
    /// Charges one provider attempt: the row is durable when this completes. Called exactly once per
    /// attempt, from the attempt's <c>finally</c>.
    /// </summary>
    public Task SettleAttemptAsync(Reservation reservation, LedgerEntry entry) => ledger.AppendAsync(entry);

    /// <summary>Releases what is still held by the reservation. Idempotent.</summary>
    public void Release(Reservation reservation) => reservation.MarkReleased();
}

/// <summary>What a request asks admission for.</summary>
/// <param name="Identity">The calling key.</param>
/// <param name="Service">The metered service (<c>llm</c> for the gateway).</param>
/// <param name="Model">Catalog model id.</param>
/// <param name="Price">The price in force at the request's start, tier applied for its size.</param>
/// <param name="EstimatedInputTokens">Upper bound of the prompt's tokens.</param>
/// <param name="MaxOutputTokens">The most output the request can produce.</param>
/// <param name="EstimatedCostPico">Worst-case cost.</param>
public sealed record AdmissionRequest(
    KeyIdentity Identity,
    string Service,
    string Model,
    ModelPrice Price,
    long EstimatedInputTokens,
    long MaxOutputTokens,
    long EstimatedCostPico);

/// <summary>A hold on the caps for one request.</summary>
/// <param name="Request">What was reserved for.</param>
/// <param name="ReservedPico">The amount held.</param>
/// <param name="GrantedMaxOutputTokens">Set when the output limit was clamped to fit the remaining budget.</param>
public sealed record Reservation(AdmissionRequest Request, long ReservedPico, long? GrantedMaxOutputTokens)
{
    private int _released;

    /// <summary>True once released.</summary>
    public bool IsReleased => Volatile.Read(ref _released) == 1;

    /// <summary>Marks the reservation released; returns false if it already was.</summary>
    internal bool MarkReleased() => Interlocked.Exchange(ref _released, 1) == 0;
}

/// <summary>Why a request was refused by admission.</summary>
/// <param name="Status">HTTP status (402, 403).</param>
/// <param name="Code">Machine code, e.g. <c>member_budget_exceeded</c>.</param>
/// <param name="Message">The exact message of budgets.md.</param>
public sealed record BudgetDenial(int Status, string Code, string Message);

/// <summary>Admitted with a reservation, or denied.</summary>
public readonly record struct AdmissionResult(Reservation? Reservation, BudgetDenial? Denial);

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
