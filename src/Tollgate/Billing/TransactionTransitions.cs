using System.Data.Common;
using Dapper;
using Tollgate.Budgets;

namespace Tollgate.Billing;

/// <summary>
/// The two ways out of <c>pending</c>, inside the caller's database transaction. Each is guarded by
/// the row's state (<c>WHERE status = 'pending'</c>), so whatever path gets there second — a
/// replayed webhook, the API answer and the webhook of the same refund, two nodes — changes
/// nothing: credits move and a document number is taken exactly once.
/// </summary>
internal static class TransactionTransitions
{
    /// <summary>
    /// Completes a pending transaction at <paramref name="nowMs"/>: gives it the next invoice (charge)
    /// or credit note (refund) number of the completion's year and, for a charge, adds its credits (a
    /// refund took its credits back when it was created). Returns the document number; null when it
    /// was not pending.
    /// </summary>
    public static async Task<string?> CompleteAsync(DbConnection connection, DbTransaction tx, TransactionStore.TransactionRow row, long nowMs, string? providerPayment)
    {
        await OrgCredits.LockAsync(connection, tx, row.OrgId);
        var changed = await connection.ExecuteAsync(
            """
            UPDATE transactions SET status = 'completed', completed_at = @nowMs,
                provider_payment = COALESCE(@providerPayment, provider_payment)
            WHERE id = @id AND status = 'pending'
            """,
            new { nowMs, providerPayment, id = row.Id }, tx);
        if (changed == 0)
        {
            return null;
        }

        var kind = row.Type == "refund" ? DocumentNumbers.CreditNote : DocumentNumbers.Invoice;
        var number = await DocumentNumbers.NextAsync(connection, tx, kind, DateTimeOffset.FromUnixTimeMilliseconds(nowMs).Year);
        await connection.ExecuteAsync("UPDATE transactions SET document_number = @number WHERE id = @id", new { number, id = row.Id }, tx);
        if (row.Type != "refund")
        {
            await OrgCredits.CreditAsync(connection, tx, row.OrgId, row.CreditAmountPico);
        }

        return number;
    }

    /// <summary>
    /// Fails a pending transaction, with <paramref name="reason"/>; a failed refund gives back the
    /// credits it took. False when it was not pending.
    /// </summary>
    public static async Task<bool> FailAsync(DbConnection connection, DbTransaction tx, TransactionStore.TransactionRow row, long nowMs, string? reason)
    {
        await OrgCredits.LockAsync(connection, tx, row.OrgId);
        var changed = await connection.ExecuteAsync(
            "UPDATE transactions SET status = 'failed', completed_at = @nowMs, reason = COALESCE(@reason, reason) WHERE id = @id AND status = 'pending'",
            new { nowMs, reason, id = row.Id }, tx);
        if (changed == 0)
        {
            return false;
        }

        if (row.Type == "refund")
        {
            await OrgCredits.CreditAsync(connection, tx, row.OrgId, -row.CreditAmountPico);
        }

        return true;
    }
}

/// <summary>
/// Document numbers: <c>INV-2026-000001</c>, <c>CN-2026-000001</c>, sequential per type and year
/// across the whole server (the seller's sequence). The counter row is raised in the caller's
/// database transaction, so the number commits or rolls back with the completion it belongs to, and
/// concurrent completions queue on the row (PostgreSQL's row lock; SQLite's one writer): no gaps, no
/// duplicates.
/// </summary>
internal static class DocumentNumbers
{
    /// <summary>The prefix of invoices.</summary>
    public const string Invoice = "INV";

    /// <summary>The prefix of credit notes.</summary>
    public const string CreditNote = "CN";

    /// <summary>Takes the next number of <paramref name="kind"/> in <paramref name="year"/>.</summary>
    public static async Task<string> NextAsync(DbConnection connection, DbTransaction tx, string kind, int year)
    {
        var next = await connection.ExecuteScalarAsync<long>(
            """
            INSERT INTO document_sequences (kind, year, last_number) VALUES (@kind, @year, 1)
            ON CONFLICT (kind, year) DO UPDATE SET last_number = document_sequences.last_number + 1
            RETURNING last_number
            """,
            new { kind, year = (long)year }, tx);
        return Format(kind, year, next);
    }

    /// <summary><c>INV-2026-000042</c>.</summary>
    public static string Format(string kind, int year, long number) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{kind}-{year:D4}-{number:D6}");
}
