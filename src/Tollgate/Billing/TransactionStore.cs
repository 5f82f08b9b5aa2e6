using System.Data.Common;
using Dapper;
using Tollgate.Accounts;
using Tollgate.Audit;
using Tollgate.Budgets;
using Tollgate.Hosting;
using Tollgate.Storage;

namespace Tollgate.Billing;

/// <summary>
/// The org's transactions (credit purchases, refunds, subscriptions, adjustments) and the credits
/// they move. Every change of the balance is made in the same database transaction that records
/// why, under the org's credits lock (<see cref="OrgCredits"/>): admission reads <c>org_credits</c>
/// afresh under that lock on every node, so it sees the new balance with its next request.
/// </summary>
internal sealed class TransactionStore(Database database, TimeProvider time, BillingOptions options)
{
    /// <summary>A transaction row. Amounts are pico-dollars; instants Unix milliseconds.</summary>
    public sealed record TransactionRow(
        string Id, string OrgId, string Type, string Status, long AmountPico, string Currency, long CreditAmountPico,
        long CreatedAt, long? CompletedAt, string? RelatedTransactionId, string? DocumentNumber, string? CreatedBy,
        string? Provider, string? ProviderRef, string? ProviderPayment, string? CheckoutUrl, string? Reason, string? BillingJson)
    {
        /// <summary>The tax part of <see cref="AmountPico"/>: what was paid (or paid back) beyond the credits.</summary>
        public long TaxPico => AmountPico - Math.Abs(CreditAmountPico);
    }

    /// <summary>The filters of the transactions list; null means any.</summary>
    public sealed record Filter(string? Type, string? Status, long? FromMs, long? ToMs);

    /// <summary>The currency of every amount this build handles.</summary>
    public const string Currency = "USD";

    /// <summary>The column list that reads a <see cref="TransactionRow"/>.</summary>
    public const string Columns =
        "id, org_id AS OrgId, type, status, amount_pico AS AmountPico, currency, credit_amount_pico AS CreditAmountPico, " +
        "created_at AS CreatedAt, completed_at AS CompletedAt, related_transaction_id AS RelatedTransactionId, " +
        "document_number AS DocumentNumber, created_by AS CreatedBy, provider, provider_ref AS ProviderRef, " +
        "provider_payment AS ProviderPayment, checkout_url AS CheckoutUrl, reason, billing_json AS BillingJson";

    /// <summary>
    /// Grants credits without a payment provider (a self-hosted server): a <c>credit_purchase</c>
    /// completed at once with its invoice number, the balance raised by <paramref name="creditPico"/>,
    /// and the audit entry, all in one database transaction. Tax at the org's rate is added on top.
    /// </summary>
    public async Task<TransactionRow> GrantAsync(RequestAudit audit, long creditPico, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginWriteAsync(connection, ct);
        var row = await InsertPurchaseAsync(connection, tx, audit, creditPico, null, ct);
        await TransactionTransitions.CompleteAsync(connection, tx, row, row.CreatedAt, null);
        await AuditPurchaseAsync(connection, tx, audit, row with { Status = "completed" }, ct);
        await tx.CommitAsync(ct);
        return (await GetAsync(row.OrgId, row.Id, ct))!;
    }

    /// <summary>
    /// A purchase to be paid through <paramref name="provider"/>: a pending <c>credit_purchase</c> of
    /// <paramref name="creditPico"/> credits (plus tax), audited; credits come with its completion.
    /// </summary>
    public async Task<TransactionRow> CreatePendingPurchaseAsync(RequestAudit audit, long creditPico, string provider, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginWriteAsync(connection, ct);
        var row = await InsertPurchaseAsync(connection, tx, audit, creditPico, provider, ct);
        await AuditPurchaseAsync(connection, tx, audit, row, ct);
        await tx.CommitAsync(ct);
        return row;
    }

    private async Task<TransactionRow> InsertPurchaseAsync(
        DbConnection connection, DbTransaction tx, RequestAudit audit, long creditPico, string? provider, CancellationToken ct)
    {
        await OrgCredits.LockAsync(connection, tx, audit.OrgId);
        var org = await connection.QuerySingleAsync<OrgStore.OrgRow>(new CommandDefinition(
            "SELECT id, name, plan, billing_mode AS BillingMode, created_at AS CreatedAt, tax_rate AS TaxRate, billing_json AS BillingJson FROM orgs WHERE id = @orgId",
            new { orgId = audit.OrgId }, tx, cancellationToken: ct));
        var snapshot = BillingSnapshot.Of(org, options.Seller);
        var tax = Tax.On(creditPico, snapshot.AppliedRate);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var row = new TransactionRow(
            Ids.New("txn", time), audit.OrgId, "credit_purchase", "pending", creditPico + tax, Currency, creditPico,
            now, null, null, null, audit.Actor.MemberId, provider, null, null, null, null, snapshot.ToJson());
        await InsertAsync(connection, tx, row, ct);
        return row;
    }

    private static Task<AuditEntry> AuditPurchaseAsync(DbConnection connection, DbTransaction tx, RequestAudit audit, TransactionRow row, CancellationToken ct) =>
        audit.RecordAsync(connection, tx, "credits.purchase", new AuditTarget("transaction", row.Id), null,
            new { row.Type, row.Status, amount = Money.ToWire(row.AmountPico), row.Currency, creditAmount = Money.ToWire(row.CreditAmountPico), row.Provider }, ct);

    /// <summary>Inserts a transaction row inside the caller's database transaction.</summary>
    public static Task InsertAsync(DbConnection connection, DbTransaction tx, TransactionRow row, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO transactions (id, org_id, type, status, amount_pico, currency, credit_amount_pico, created_at,
                completed_at, related_transaction_id, document_number, created_by, provider, provider_ref, provider_payment,
                checkout_url, reason, billing_json)
            VALUES (@Id, @OrgId, @Type, @Status, @AmountPico, @Currency, @CreditAmountPico, @CreatedAt,
                @CompletedAt, @RelatedTransactionId, @DocumentNumber, @CreatedBy, @Provider, @ProviderRef, @ProviderPayment,
                @CheckoutUrl, @Reason, @BillingJson)
            """,
            row, tx, cancellationToken: ct));

    /// <summary>Records the provider's checkout for a pending purchase: its id and where the buyer pays.</summary>
    public async Task<TransactionRow> SetCheckoutAsync(TransactionRow row, string sessionId, string url, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE transactions SET provider_ref = @sessionId, checkout_url = @url WHERE id = @id",
            new { sessionId, url, id = row.Id }, cancellationToken: ct));
        return row with { ProviderRef = sessionId, CheckoutUrl = url };
    }

    /// <summary>Records the provider's refund object of a pending refund.</summary>
    public async Task SetProviderRefAsync(string transactionId, string providerRef, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE transactions SET provider_ref = @providerRef WHERE id = @transactionId",
            new { providerRef, transactionId }, cancellationToken: ct));
    }

    /// <summary>One transaction of the org; null when the org has none with that id.</summary>
    public async Task<TransactionRow?> GetAsync(string orgId, string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<TransactionRow>(new CommandDefinition(
            $"SELECT {Columns} FROM transactions WHERE id = @id AND org_id = @orgId", new { id, orgId }, cancellationToken: ct));
    }

    /// <summary>
    /// Completes (or, with <paramref name="fail"/>, fails) a pending transaction in its own database
    /// transaction; false when it was no longer pending (another path got there first).
    /// </summary>
    public async Task<bool> SettleAsync(TransactionRow row, bool fail, string? reason, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginWriteAsync(connection, ct);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var changed = fail
            ? await TransactionTransitions.FailAsync(connection, tx, row, now, reason)
            : await TransactionTransitions.CompleteAsync(connection, tx, row, now, null) is not null;
        await tx.CommitAsync(ct);
        return changed;
    }

    /// <summary>
    /// The org's transactions, newest first, filtered; fetches <c>Limit + 1</c> rows (see
    /// <see cref="Paging.ToPage"/>). The cursor is the last id of the previous page.
    /// </summary>
    public async Task<IReadOnlyList<TransactionRow>> ListAsync(string orgId, Filter filter, Paging paging, CancellationToken ct)
    {
        var where = "org_id = @orgId";
        if (paging.Cursor is not null)
        {
            where += " AND id < @cursor";
        }

        if (filter.Type is not null)
        {
            where += " AND type = @Type";
        }

        if (filter.Status is not null)
        {
            where += " AND status = @Status";
        }

        if (filter.FromMs is not null)
        {
            where += " AND created_at >= @FromMs";
        }

        if (filter.ToMs is not null)
        {
            where += " AND created_at < @ToMs";
        }

        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<TransactionRow>(new CommandDefinition(
            $"SELECT {Columns} FROM transactions WHERE {where} ORDER BY id DESC LIMIT @take",
            new { orgId, cursor = paging.Cursor, take = paging.Limit + 1, filter.Type, filter.Status, filter.FromMs, filter.ToMs },
            cancellationToken: ct));
        return rows.AsList();
    }
}
