using Dapper;
using Tollgate.Accounts;
using Tollgate.Audit;
using Tollgate.Budgets;
using Tollgate.Hosting;
using Tollgate.Storage;

namespace Tollgate.Billing;

/// <summary>
/// The org's transactions (credit purchases, refunds, subscriptions, adjustments) and the credits
/// they move. A completed transaction changes <c>org_credits</c> in the same database transaction
/// that records it, under the org's credits lock (<see cref="OrgCredits"/>), so admission on every
/// node sees the new balance with its next read.
/// </summary>
internal sealed class TransactionStore(Database database, TimeProvider time)
{
    /// <summary>A transaction row. Amounts are pico-dollars; instants Unix milliseconds.</summary>
    public sealed record TransactionRow(
        string Id, string OrgId, string Type, string Status, long AmountPico, string Currency, long CreditAmountPico,
        long CreatedAt, long? CompletedAt, string? RelatedTransactionId, string? DocumentNumber, string? CreatedBy);

    /// <summary>The currency of every amount this build handles.</summary>
    public const string Currency = "USD";

    private const string Columns =
        "id, org_id AS OrgId, type, status, amount_pico AS AmountPico, currency, credit_amount_pico AS CreditAmountPico, " +
        "created_at AS CreatedAt, completed_at AS CompletedAt, related_transaction_id AS RelatedTransactionId, " +
        "document_number AS DocumentNumber, created_by AS CreatedBy";

    /// <summary>
    /// Grants credits without a payment provider (a self-hosted server): a <c>credit_purchase</c>
    /// completed at once, the balance raised by <paramref name="amountPico"/>, and the audit entry,
    /// all in one database transaction.
    /// </summary>
    public async Task<TransactionRow> GrantAsync(RequestAudit audit, long amountPico, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var row = new TransactionRow(
            Ids.New("txn", time), audit.OrgId, "credit_purchase", "completed", amountPico, Currency, amountPico,
            now, now, null, null, audit.Actor.MemberId);
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginWriteAsync(connection, ct);
        await OrgCredits.LockAsync(connection, tx, row.OrgId);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO transactions (id, org_id, type, status, amount_pico, currency, credit_amount_pico, created_at,
                completed_at, related_transaction_id, document_number, created_by)
            VALUES (@Id, @OrgId, @Type, @Status, @AmountPico, @Currency, @CreditAmountPico, @CreatedAt,
                @CompletedAt, @RelatedTransactionId, @DocumentNumber, @CreatedBy)
            """,
            row, tx, cancellationToken: ct));
        await OrgCredits.CreditAsync(connection, tx, row.OrgId, row.CreditAmountPico);
        await audit.RecordAsync(connection, tx, "credits.purchase", new AuditTarget("transaction", row.Id), null,
            new { row.Type, row.Status, amount = Money.ToWire(row.AmountPico), row.Currency, creditAmount = Money.ToWire(row.CreditAmountPico) }, ct);
        await tx.CommitAsync(ct);
        return row;
    }

    /// <summary>The org's transactions, newest first; fetches <c>Limit + 1</c> rows (see <see cref="Paging.ToPage"/>).</summary>
    public async Task<IReadOnlyList<TransactionRow>> ListAsync(string orgId, Paging paging, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<TransactionRow>(new CommandDefinition(
            $"""
            SELECT {Columns} FROM transactions
            WHERE org_id = @orgId {(paging.Cursor is null ? "" : "AND id < @cursor")}
            ORDER BY id DESC
            LIMIT @take
            """,
            new { orgId, cursor = paging.Cursor, take = paging.Limit + 1 },
            cancellationToken: ct));
        return rows.AsList();
    }
}
