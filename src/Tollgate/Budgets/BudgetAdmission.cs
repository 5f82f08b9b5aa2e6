using Tollgate.Accounts;
using Tollgate.Catalog;

namespace Tollgate.Budgets;

/// <summary>
/// The one admission seam every billable endpoint calls: <see cref="ReserveAsync"/> before any byte
/// goes upstream, <see cref="SettleAttemptAsync"/> once per provider attempt, and
/// <see cref="ReleaseAsync"/> when the request is over.
/// </summary>
internal sealed partial class BudgetAdmission
{
    /// <summary>Appends tried on the request's path before the charge goes to the background.</summary>
    private static readonly TimeSpan[] InlineRetries = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(250)];

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly ILedgerAppender _ledger;
    private readonly BudgetEngine _engine;
    private readonly TimeProvider _time;
    private readonly ILogger<BudgetAdmission> _logger;

    public BudgetAdmission(SpendLedger ledger, ILedgerAppender appender, BudgetEngine engine, TimeProvider time, ILogger<BudgetAdmission> logger)
    {
        _ledger = appender;
        _engine = engine;
        _time = time;
        _logger = logger;
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
    /// count it. Called exactly once per attempt, from the attempt's <c>finally</c>; it never throws.
    /// <paramref name="lastAttempt"/>: no attempt follows, so other nodes stop counting the
    /// request's hold in the same transaction as its last charge (one write fewer per request), and
    /// the rest of the reservation is released here.
    /// A ledger that cannot take the row is tried again (inserts are idempotent by id and by request
    /// and attempt, so a retry never charges twice); past the inline tries the charge is kept and
    /// retried in the background, and the reservation stays held until it lands — a charge is never
    /// lost, and the caps never show less than was spent.
    /// </summary>
    public async Task SettleAttemptAsync(Reservation reservation, LedgerEntry entry, bool lastAttempt)
    {
        entry = entry with
        {
            NodeId = _engine.NodeId,
            HoldId = reservation.HoldId,
            DropsHold = lastAttempt && reservation.HoldId is not null,
            // The org's own provider key never consumes its credits, even when other candidates held them.
            CreditsPico = reservation.CreditsOrgId is null || entry.Credential == LedgerEntry.OrgCredential ? 0 : entry.CostPico,
        };

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await _ledger.AppendAsync(entry).ConfigureAwait(false);
                break;
            }
            catch (Exception ex) when (IsStorageFailure(ex))
            {
                LogAppendFailed(_logger, ex, entry.RequestId, entry.Attempt);
                if (attempt == InlineRetries.Length)
                {
                    lock (reservation)
                    {
                        reservation.PendingCharges++;
                    }

                    _ = ChargeInBackgroundAsync(reservation, entry, lastAttempt);
                    return;
                }

                await Task.Delay(InlineRetries[attempt], _time).ConfigureAwait(false);
            }
        }

        await CountSettledAsync(reservation, entry, lastAttempt).ConfigureAwait(false);
    }

    /// <summary>
    /// Keeps what <paramref name="reservation"/> holds beyond the request, as a durable hold (an
    /// asynchronous job accepted by the provider), written with the owner's row in one transaction.
    /// See <see cref="BudgetEngine.KeepAsync"/>.
    /// </summary>
    public Task<DurableHold> KeepAsync(Reservation reservation, string holdId, Func<System.Data.Common.DbConnection, System.Data.Common.DbTransaction, DurableHold, Task> recordOwner, CancellationToken cancellationToken) =>
        _engine.KeepAsync(reservation, holdId, recordOwner, cancellationToken);

    /// <summary>
    /// Settles a durable hold once, with the owner's state change as the guard; false when another
    /// caller settled it. See <see cref="BudgetEngine.SettleDurableAsync"/>.
    /// </summary>
    public Task<bool> SettleDurableAsync(DurableHold hold, LedgerEntry entry, Func<System.Data.Common.DbConnection, System.Data.Common.DbTransaction, Task<bool>> claim, CancellationToken cancellationToken) =>
        _engine.SettleDurableAsync(hold, entry, claim, cancellationToken);

    /// <summary>Releases what is still held by the reservation (idempotent), once no charge of it is still on its way to the ledger.</summary>
    public Task ReleaseAsync(Reservation reservation)
    {
        lock (reservation)
        {
            if (reservation.PendingCharges > 0)
            {
                reservation.ReleaseWhenCharged = true; // the last pending charge releases it
                return Task.CompletedTask;
            }
        }

        return ReleaseSafelyAsync(reservation);
    }

    private async Task CountSettledAsync(Reservation reservation, LedgerEntry entry, bool lastAttempt)
    {
        if (entry.DropsHold)
        {
            reservation.HoldDropped = true;
        }

        try
        {
            await _engine.SettleAsync(reservation, entry).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            // The row is durable and counted; only the lowering of the hold failed: the release below retries it.
            LogAppendFailed(_logger, ex, entry.RequestId, entry.Attempt);
        }

        if (lastAttempt)
        {
            // No attempt follows: the rest of the hold goes now, before the endpoint sends the end of
            // its answer, so a budget read after the answer never shows it as still reserved.
            await ReleaseSafelyAsync(reservation).ConfigureAwait(false);
        }
    }

    private async Task ChargeInBackgroundAsync(Reservation reservation, LedgerEntry entry, bool lastAttempt)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            await Task.Delay(delay, _time).ConfigureAwait(false);
            try
            {
                await _ledger.AppendAsync(entry).ConfigureAwait(false);
                break;
            }
            catch (Exception ex) when (IsStorageFailure(ex))
            {
                LogAppendFailed(_logger, ex, entry.RequestId, entry.Attempt);
                delay = delay * 2 > MaxBackoff ? MaxBackoff : delay * 2;
            }
        }

        await CountSettledAsync(reservation, entry, lastAttempt: false).ConfigureAwait(false);
        bool release;
        lock (reservation)
        {
            reservation.PendingCharges--;
            release = reservation.PendingCharges == 0 && (reservation.ReleaseWhenCharged || lastAttempt);
        }

        if (release)
        {
            await ReleaseSafelyAsync(reservation).ConfigureAwait(false);
        }
    }

    private async Task ReleaseSafelyAsync(Reservation reservation)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await _engine.ReleaseAsync(reservation).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (IsStorageFailure(ex) && attempt < InlineRetries.Length)
            {
                LogReleaseFailed(_logger, ex, reservation.HoldId);
                await Task.Delay(InlineRetries[attempt], _time).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsStorageFailure(ex))
            {
                // A hold row that could not be deleted belongs to this node: other nodes stop counting it
                // when this node's heartbeat lapses, and this node's own memory no longer holds anything.
                LogReleaseFailed(_logger, ex, reservation.HoldId);
                return;
            }
        }
    }

    private static bool IsStorageFailure(Exception ex) =>
        ex is System.Data.Common.DbException or IOException or TimeoutException or InvalidOperationException;

    [LoggerMessage(Level = LogLevel.Error, Message = "The ledger could not record request {RequestId} attempt {Attempt}; it is retried")]
    private static partial void LogAppendFailed(ILogger logger, Exception exception, string requestId, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "The hold {HoldId} could not be released")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string? holdId);
}

/// <summary>Where settled charges are written: the spend ledger (a seam so a failing ledger can be tested).</summary>
internal interface ILedgerAppender
{
    /// <summary>Appends a row; durable when the task completes. Idempotent by the row's id and its (request, attempt).</summary>
    Task AppendAsync(LedgerEntry entry);
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

    /// <summary>Charges of this reservation still on their way to the ledger (it was unavailable); guarded by locking the reservation.</summary>
    public int PendingCharges { get; set; }

    /// <summary>The request is over: the last pending charge releases what is left.</summary>
    public bool ReleaseWhenCharged { get; set; }

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
