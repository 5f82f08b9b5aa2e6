using System.Globalization;
using Tollgate.Budgets;

namespace Tollgate.Billing.Documents;

/// <summary>One line of a document.</summary>
internal sealed record DocumentLine(string Description, int Quantity, long UnitPico, long AmountPico);

/// <summary>
/// What an invoice or a credit note says, drawn only from stored rows (the transaction, its billing
/// snapshot and, for a credit note, the purchase it refunds): the same transaction always makes the
/// same document.
/// </summary>
internal sealed record BillingDocument(
    bool IsCreditNote,
    string Number,
    DateOnly IssueDate,
    long IssuedAtMs,
    string TransactionId,
    SellerDetails Seller,
    BuyerDetails Buyer,
    IReadOnlyList<DocumentLine> Lines,
    long SubtotalPico,
    string TaxLabel,
    long TaxPico,
    long TotalPico,
    string Currency,
    string? ReverseChargeNote,
    string? Reference,
    string? Reason)
{
    /// <summary>The note printed under the totals when the buyer accounts for the tax.</summary>
    public const string ReverseChargeText = "Reverse charge: the customer is liable for the tax (VAT) on this supply.";

    /// <summary>"Invoice" or "Credit note".</summary>
    public string Title => IsCreditNote ? "Credit note" : "Invoice";

    /// <summary><c>invoice-INV-2026-000001.pdf</c> or <c>credit-note-CN-2026-000001.pdf</c>.</summary>
    public string FileName => (IsCreditNote ? "credit-note-" : "invoice-") + Number + ".pdf";

    /// <summary>
    /// The document of a completed transaction: an invoice for a charge, a credit note for a refund
    /// (<paramref name="purchase"/> is the purchase it refunds).
    /// </summary>
    public static BillingDocument For(TransactionStore.TransactionRow row, TransactionStore.TransactionRow? purchase)
    {
        var billing = BillingSnapshot.FromJson(row.BillingJson ?? throw new InvalidOperationException($"Transaction {row.Id} has no billing snapshot."));
        var completedAt = row.CompletedAt ?? throw new InvalidOperationException($"Transaction {row.Id} is not completed.");
        var net = Math.Abs(row.CreditAmountPico);
        var isRefund = row.Type == "refund";
        string? reference = null;
        string description;
        if (isRefund)
        {
            var share = purchase is null || purchase.AmountPico == 0 ? 0m : (decimal)row.AmountPico / purchase.AmountPico;
            reference = $"Refunded {Percent(share)} of {purchase?.DocumentNumber ?? purchase?.Id ?? row.RelatedTransactionId}";
            description = $"Refund of prepaid credits ({Money.ToWire(net)} {row.Currency})";
        }
        else
        {
            description = $"Prepaid credits ({Money.ToWire(net)} {row.Currency})";
        }

        var taxLabel = billing.ReverseCharge
            ? "Tax 0% (reverse charge)"
            : billing.TaxRate is null ? "Tax 0% (no tax rate set)" : $"Tax {Percent(billing.AppliedRate)}";
        return new BillingDocument(
            isRefund,
            row.DocumentNumber ?? throw new InvalidOperationException($"Transaction {row.Id} has no document number."),
            DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(completedAt).UtcDateTime),
            completedAt,
            row.Id,
            billing.Seller,
            billing.Buyer,
            [new DocumentLine(description, 1, net, net)],
            net,
            taxLabel,
            row.TaxPico,
            row.AmountPico,
            row.Currency,
            billing.ReverseCharge ? ReverseChargeText : null,
            reference,
            isRefund ? row.Reason : null);
    }

    /// <summary>Money as printed: at least two decimals, more only when the amount has them (<c>12.50</c>, <c>0.000375</c>).</summary>
    public static string Amount(long pico)
    {
        var usd = Money.FromPico(pico);
        var text = Money.ToWire(usd);
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var decimals = dot < 0 ? 0 : text.Length - dot - 1;
        return decimals >= 2 ? text : usd.ToString("0.00", CultureInfo.InvariantCulture);
    }

    /// <summary><c>40%</c>, <c>33.33%</c>: a fraction as a percentage with at most two decimals.</summary>
    public static string Percent(decimal fraction) =>
        decimal.Round(fraction * 100m, 2, MidpointRounding.AwayFromZero).ToString("0.##", CultureInfo.InvariantCulture) + "%";
}
