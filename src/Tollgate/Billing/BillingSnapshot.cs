using System.Globalization;
using System.Text.Json;
using Tollgate.Accounts;

namespace Tollgate.Billing;

/// <summary>
/// Who sells to whom and at what tax, as of a transaction's creation. It is stored with the
/// transaction (<c>billing_json</c>) and its document is drawn from it alone, so a later change of the
/// org's billing details or of the seller's configuration never changes an issued invoice or credit
/// note. A refund carries its purchase's snapshot.
/// </summary>
/// <param name="Seller">The seller (<c>Tollgate:Billing:Seller</c>).</param>
/// <param name="Buyer">The org's billing details; the company falls back to the org's name.</param>
/// <param name="TaxRate">The org's tax rate as a fraction (<c>"0.19"</c>); null when none is set.</param>
/// <param name="ReverseCharge">Whether the buyer accounts for the tax (see <see cref="Tax"/>): the tax is 0 and the document says so.</param>
internal sealed record BillingSnapshot(SellerDetails Seller, BuyerDetails Buyer, string? TaxRate, bool ReverseCharge)
{
    /// <summary>The snapshot of an org now.</summary>
    public static BillingSnapshot Of(OrgStore.OrgRow org, SellerDetails seller)
    {
        var details = org.BillingJson is null ? null : JsonSerializer.Deserialize<BillingDetails>(org.BillingJson, JsonSerializerOptions.Web);
        var buyer = new BuyerDetails(
            string.IsNullOrWhiteSpace(details?.Company) ? org.Name : details.Company,
            details?.Address, details?.Country, details?.TaxId, details?.Email);
        return new BillingSnapshot(seller, buyer, org.TaxRate, Tax.IsReverseCharge(seller, buyer));
    }

    /// <summary>The rate applied: 0 under reverse charge or with no rate set.</summary>
    public decimal AppliedRate => ReverseCharge || TaxRate is null ? 0m : decimal.Parse(TaxRate, CultureInfo.InvariantCulture);

    /// <summary>The snapshot as stored.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);

    /// <summary>A stored snapshot.</summary>
    public static BillingSnapshot FromJson(string json) =>
        JsonSerializer.Deserialize<BillingSnapshot>(json, JsonSerializerOptions.Web) ?? throw new InvalidOperationException("Empty billing snapshot.");
}

/// <summary>The buyer printed on a document.</summary>
internal sealed record BuyerDetails(string Name, string? Address, string? Country, string? TaxId, string? Email);

/// <summary>Tax on purchases and refunds.</summary>
internal static class Tax
{
    private const long PicoPerCent = 10_000_000_000;

    /// <summary>
    /// Reverse charge applies when the buyer has a tax id and is in another country than the seller
    /// (both countries known): the buyer accounts for the tax, so none is charged. Countries compare
    /// without regard to case or surrounding spaces (<c>"de"</c> is <c>"DE"</c>).
    /// </summary>
    public static bool IsReverseCharge(SellerDetails seller, BuyerDetails buyer) =>
        !string.IsNullOrWhiteSpace(buyer.TaxId)
        && !string.IsNullOrWhiteSpace(buyer.Country)
        && !string.IsNullOrWhiteSpace(seller.Country)
        && !string.Equals(buyer.Country.Trim(), seller.Country.Trim(), StringComparison.OrdinalIgnoreCase);

    /// <summary>The tax on a net amount at <paramref name="rate"/>, in whole cents (half away from zero).</summary>
    public static long On(long netPico, decimal rate) => RoundToCents(netPico * rate);

    /// <summary>
    /// The tax share of a partial refund: <paramref name="purchaseTaxPico"/> × amount / total, in whole
    /// cents, never more than the tax not yet refunded; the refund that empties the purchase takes
    /// exactly the rest, so the refunds' taxes always add up to the purchase's.
    /// </summary>
    public static long ShareOf(long purchaseTaxPico, long purchaseAmountPico, long refundPico, long refundedBeforePico, long taxRefundedBeforePico)
    {
        var taxLeft = purchaseTaxPico - taxRefundedBeforePico;
        if (refundedBeforePico + refundPico >= purchaseAmountPico)
        {
            return taxLeft;
        }

        var share = RoundToCents((decimal)purchaseTaxPico * refundPico / purchaseAmountPico);
        return Math.Clamp(share, 0, Math.Min(taxLeft, refundPico));
    }

    /// <summary>Whether a pico-dollar amount is a whole number of cents (what a card payment can move).</summary>
    public static bool IsWholeCents(long pico) => pico % PicoPerCent == 0;

    /// <summary>Pico-dollars in whole cents (call only when <see cref="IsWholeCents"/>).</summary>
    public static long ToCents(long pico) => pico / PicoPerCent;

    private static long RoundToCents(decimal pico) =>
        (long)decimal.Round(pico / PicoPerCent, 0, MidpointRounding.AwayFromZero) * PicoPerCent;
}
