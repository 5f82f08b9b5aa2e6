using Dapper;
using Tollgate.Audit;
using Tollgate.Budgets;
using Tollgate.Hosting;
using Tollgate.Storage;

namespace Tollgate.Billing;

/// <summary>Why a refund was not created.</summary>
internal enum RefundRefusal
{
    /// <summary>The org has no transaction with that id.</summary>
    NotFound,

    /// <summary>Not a completed credit purchase: nothing was paid that could be paid back.</summary>
    NotRefundable,

    /// <summary>More than what is left to refund of the purchase (pending refunds count).</summary>
    MoreThanLeft,

    /// <summary>Taking the credits back would leave the balance below zero, and the refund did not allow it.</summary>
    BelowSpent,

    /// <summary>The purchase was paid by card, which pays back whole cents only.</summary>
    NotWholeCents,
}

/// <summary>A refund asked for: the purchase, how much (null: all that is left), why, and whether the balance may go below zero.</summary>
internal sealed record RefundRequest(string PurchaseId, long? AmountPico, string Reason, bool AllowNegativeBalance);

/// <summary>What creating a refund gave: the refund and its purchase, or why not (with what is left to refund and the balance).</summary>
internal sealed record RefundOutcome(
    TransactionStore.TransactionRow? Refund, TransactionStore.TransactionRow? Purchase, RefundRefusal? Refusal, long LeftPico = 0, long BalancePico = 0);

/// <summary>
/// Creates refunds. One database transaction under the org's credits lock reads what the purchase
/// has left to refund and the balance, and writes the refund with its credits taken back, so
/// concurrent refunds of one purchase never pay back more than it was paid.
/// </summary>
/// <remarks>
/// The rule for the balance: a refund takes back the credits it pays for (its share of the
/// purchase's credits), at once. When that would leave the balance (credited − spent) below zero —
/// the credits were already spent — the refund is refused with 409 unless it says
/// <c>allowNegativeBalance: true</c>; then the balance goes negative and the org is denied
/// (402) until it is topped up again.
/// </remarks>
internal sealed class Refunds(Database database, TimeProvider time)
{
    /// <summary>
    /// Creates the refund: pending when the purchase was paid through a provider (which then pays it
    /// back), completed with its credit note number otherwise. Audited as <c>transaction.refund</c>.
    /// </summary>
    public async Task<RefundOutcome> CreateAsync(RequestAudit audit, RefundRequest request, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginWriteAsync(connection, ct);
        await OrgCredits.LockAsync(connection, tx, audit.OrgId);
        var purchase = await connection.QuerySingleOrDefaultAsync<TransactionStore.TransactionRow>(new CommandDefinition(
            $"SELECT {TransactionStore.Columns} FROM transactions WHERE id = @id AND org_id = @orgId",
            new { id = request.PurchaseId, orgId = audit.OrgId }, tx, cancellationToken: ct));
        if (purchase is null)
        {
            return new RefundOutcome(null, null, RefundRefusal.NotFound);
        }

        if (purchase.Type != "credit_purchase" || purchase.Status != "completed")
        {
            return new RefundOutcome(null, purchase, RefundRefusal.NotRefundable);
        }

        // Invariant: the refunds of a purchase that are pending or completed add up to at most its amount.
        var (refunded, taxRefunded) = await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(
            """
            SELECT COALESCE(SUM(amount_pico), 0), COALESCE(SUM(amount_pico + credit_amount_pico), 0) FROM transactions
            WHERE related_transaction_id = @id AND type = 'refund' AND status IN ('pending', 'completed')
            """,
            new { id = purchase.Id }, tx, cancellationToken: ct));
        var left = purchase.AmountPico - refunded;
        var amount = request.AmountPico ?? left;
        var (credited, charged) = await OrgCredits.ReadAsync(connection, tx, audit.OrgId);
        if (left <= 0 || amount > left)
        {
            return new RefundOutcome(null, purchase, RefundRefusal.MoreThanLeft, left, credited - charged);
        }

        if (purchase.Provider is not null && !Tax.IsWholeCents(amount))
        {
            return new RefundOutcome(null, purchase, RefundRefusal.NotWholeCents, left, credited - charged);
        }

        var tax = Tax.ShareOf(purchase.TaxPico, purchase.AmountPico, amount, refunded, taxRefunded);
        var credits = amount - tax;
        if (credited - charged - credits < 0 && !request.AllowNegativeBalance)
        {
            return new RefundOutcome(null, purchase, RefundRefusal.BelowSpent, left, credited - charged);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var refund = new TransactionStore.TransactionRow(
            Ids.New("txn", time), audit.OrgId, "refund", "pending", amount, purchase.Currency, -credits,
            now, null, purchase.Id, null, audit.Actor.MemberId, purchase.Provider, null, null, null, request.Reason, purchase.BillingJson);
        await TransactionStore.InsertAsync(connection, tx, refund, ct);
        await OrgCredits.CreditAsync(connection, tx, audit.OrgId, -credits);
        if (purchase.Provider is null)
        {
            await TransactionTransitions.CompleteAsync(connection, tx, refund, now, null);
        }

        await audit.RecordAsync(connection, tx, "transaction.refund", new AuditTarget("transaction", refund.Id), null,
            new
            {
                relatedTransactionId = purchase.Id,
                amount = Money.ToWire(amount),
                creditAmount = Money.ToWire(-credits),
                refund.Currency,
                reason = request.Reason,
                allowNegativeBalance = request.AllowNegativeBalance,
                balanceAfter = Money.ToWire(credited - charged - credits),
            },
            ct);
        await tx.CommitAsync(ct);
        return new RefundOutcome(refund, purchase, null, left - amount, credited - charged - credits);
    }
}
