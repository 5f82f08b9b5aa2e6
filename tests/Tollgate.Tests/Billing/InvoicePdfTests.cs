using System.Diagnostics;
using System.Net;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Infrastructure;
using UglyToad.PdfPig;

namespace Tollgate.Tests.Billing;

/// <summary>Invoices and credit notes as PDF: every field read back with PdfPig, reverse charge, Unicode names, byte-for-byte determinism.</summary>
public sealed class InvoicePdfTests
{
    /// <summary>A downloaded document.</summary>
    private sealed record Download(HttpStatusCode Status, byte[] Bytes, string? ContentType, string? Disposition);

    private static async Task<Download> DownloadAsync(BillingHost host, string transactionId)
    {
        using var cts = new CancellationTokenSource(ApiCalls.Timeout);
        using var response = await host.Client.GetAsync($"orgs/{host.OrgId}/transactions/{transactionId}/invoice", cts.Token);
        var bytes = await response.Content.ReadAsByteArrayAsync(cts.Token);
        var disposition = response.Content.Headers.TryGetValues("Content-Disposition", out var values) ? string.Join(",", values) : null;
        return new Download(response.StatusCode, bytes, response.Content.Headers.ContentType?.MediaType, disposition);
    }

    /// <summary>The page's words in drawing order, joined by single spaces.</summary>
    private static string Text(byte[] pdf)
    {
        using var document = PdfDocument.Open(pdf);
        Assert.Equal(1, document.NumberOfPages);
        return string.Join(" ", document.GetPage(1).GetWords().Select(w => w.Text));
    }

    private static string Today => DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    private static string Year => DateTime.UtcNow.Year.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Invoice_OfACompletedPurchase_CarriesEveryField()
    {
        await using var host = await BillingHost.StartAsync();
        var purchase = await host.PaidPurchaseAsync("100");
        var number = purchase.GetProperty("documentNumber").GetString()!;

        var download = await DownloadAsync(host, purchase.GetProperty("id").GetString()!);

        Assert.Equal(HttpStatusCode.OK, download.Status);
        Assert.Equal("application/pdf", download.ContentType);
        Assert.Equal($"attachment; filename=invoice-{number}.pdf", download.Disposition);
        Assert.Equal($"INV-{Year}-000001", number);
        var text = Text(download.Bytes);
        string[] expected =
        [
            "INVOICE",
            // seller
            "Tollgate Seller GmbH", "Hauptstraße 1", "10115 Berlin", "DE", "invoices@seller.test", "Tax ID: DE811111111",
            // buyer
            "BILL TO", "Acme Analytics AG", "Bahnhofstraße 5", "80335 München", "ap@acme.test", "Tax ID: DE123456789",
            // identity
            "Number " + number, "Issue date " + Today, "Currency USD", "Reference " + purchase.GetProperty("id").GetString(),
            // line, totals
            "Description Qty Unit price Amount", "Prepaid credits (100 USD) 1 100.00 100.00",
            "Subtotal 100.00", "Tax 19% 19.00", "Total USD 119.00",
        ];
        foreach (var part in expected)
        {
            Assert.True(text.Contains(part, StringComparison.Ordinal), $"'{part}' is not on the invoice: {text}");
        }

        Assert.DoesNotContain("Reverse charge", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Refunded", text, StringComparison.Ordinal);
        await WritePreviewAsync(download.Bytes, "invoice");
    }

    [Fact]
    public async Task Invoice_BuyerWithATaxIdInAnotherCountry_IsReverseCharged_ZeroTaxAndTheNote()
    {
        await using var host = await BillingHost.StartAsync(stripe: false, billing: new
        {
            company = "Société Exemple SARL",
            address = "12 rue de la Paix\n75002 Paris",
            country = "FR",
            taxId = "FR40303265045",
            email = "compta@exemple.test",
        });
        var purchase = await host.PurchaseOkAsync("100");

        var download = await DownloadAsync(host, purchase.GetProperty("id").GetString()!);

        Assert.Equal("100", purchase.GetProperty("amount").GetString()); // nothing charged as tax
        var text = Text(download.Bytes);
        foreach (var part in new[]
        {
            "Société Exemple SARL", "75002 Paris", "FR", "Tax ID: FR40303265045",
            "Subtotal 100.00", "Tax 0% (reverse charge) 0.00", "Total USD 100.00",
            "Reverse charge: the customer is liable for the tax (VAT) on this supply.",
        })
        {
            Assert.True(text.Contains(part, StringComparison.Ordinal), $"'{part}' is not on the invoice: {text}");
        }
    }

    [Fact]
    public async Task CreditNote_OfAPartialRefund_NamesTheInvoiceAndTheRefundedShare()
    {
        await using var host = await BillingHost.StartAsync(stripe: false);
        var purchase = await host.PurchaseOkAsync("100"); // invoice for 119
        var refund = await host.RefundAsync(purchase.GetProperty("id").GetString()!, new { amount = "47.60", reason = "Unused seats" });
        var number = refund.Str("documentNumber");

        var download = await DownloadAsync(host, refund.Str("id"));

        Assert.Equal(HttpStatusCode.OK, download.Status);
        Assert.Equal($"attachment; filename=credit-note-{number}.pdf", download.Disposition);
        Assert.Equal($"CN-{Year}-000001", number);
        var text = Text(download.Bytes);
        foreach (var part in new[]
        {
            "CREDIT NOTE", "Number " + number, "Issue date " + Today,
            $"Refunded 40% of {purchase.GetProperty("documentNumber").GetString()}", "Reason: Unused seats",
            "Tollgate Seller GmbH", "Acme Analytics AG", "Tax ID: DE123456789",
            "Refund of prepaid credits (40 USD) 1 40.00 40.00", "Subtotal 40.00", "Tax 19% 7.60", "Total USD 47.60",
        })
        {
            Assert.True(text.Contains(part, StringComparison.Ordinal), $"'{part}' is not on the credit note: {text}");
        }

        await WritePreviewAsync(download.Bytes, "credit-note");
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Document_IsTheSameBytesEveryTime_EvenAfterTheOrgsDetailsChange(DbDialect dialect)
    {
        await using var host = await BillingHost.StartAsync(dialect, stripe: false);
        var first = await host.PurchaseOkAsync("10");
        var second = await host.PurchaseOkAsync("10");
        var id = first.GetProperty("id").GetString()!;

        var before = await DownloadAsync(host, id);
        var again = await DownloadAsync(host, id);
        var patch = await host.Client.ApiPatchAsync($"orgs/{host.OrgId}", new { taxRate = "0.07", billing = new { company = "Renamed Corp", country = "AT" } });
        Assert.Equal(HttpStatusCode.OK, patch.Status);
        var after = await DownloadAsync(host, id);
        var other = await DownloadAsync(host, second.GetProperty("id").GetString()!);

        Assert.Equal(before.Bytes, again.Bytes);
        Assert.Equal(before.Bytes, after.Bytes);
        Assert.NotEqual(before.Bytes, other.Bytes);
        Assert.Contains("Acme Analytics AG", Text(after.Bytes), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoice_UnicodeCompanyName_Renders()
    {
        // DejaVu covers Latin, Greek and Cyrillic; it has no CJK glyphs, so 東京 shows as boxes (README, "Invoices").
        await using var host = await BillingHost.StartAsync(stripe: false, billing: new { company = "Zürich Ærø Ελλάς Москва 東京 GmbH", country = "CH" });
        var purchase = await host.PurchaseOkAsync("12.5");

        var download = await DownloadAsync(host, purchase.GetProperty("id").GetString()!);

        Assert.Equal(HttpStatusCode.OK, download.Status);
        var text = Text(download.Bytes);
        Assert.Contains("Zürich Ærø Ελλάς Москва", text, StringComparison.Ordinal); // 東京 draws as empty boxes: DejaVu has no CJK
        Assert.Contains("GmbH CH", text, StringComparison.Ordinal);
        Assert.Contains("Total USD 14.88", Text(download.Bytes), StringComparison.Ordinal); // 12.50 + 2.375 → 2.38 tax
        await WritePreviewAsync(download.Bytes, "invoice-unicode");
    }

    [Fact]
    public async Task Invoice_PendingOrUnknownTransaction_Is409Or404()
    {
        await using var host = await BillingHost.StartAsync();
        var pending = await host.PurchaseOkAsync("10");

        var notCompleted = await DownloadAsync(host, pending.GetProperty("id").GetString()!);
        var unknown = await DownloadAsync(host, "txn_00000000000000000000000000");

        Assert.Equal(HttpStatusCode.Conflict, notCompleted.Status);
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
    }

    /// <summary>Writes the PDF and its page 1 as PNG (<c>pdftoppm</c>) into the test output, for a person to look at.</summary>
    private static async Task WritePreviewAsync(byte[] pdf, string name)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "invoice-previews");
        Directory.CreateDirectory(dir);
        var pdfPath = Path.Combine(dir, name + ".pdf");
        await File.WriteAllBytesAsync(pdfPath, pdf);
        var start = new ProcessStartInfo("pdftoppm", ["-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", pdfPath, Path.Combine(dir, name)])
        {
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(cts.Token);
        Assert.True(process.ExitCode == 0, "pdftoppm failed: " + await process.StandardError.ReadToEndAsync(cts.Token));
        var png = await File.ReadAllBytesAsync(Path.Combine(dir, name + ".png"), cts.Token);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        Assert.True(png.Length > 10_000, $"the preview is only {png.Length} bytes");
    }
}
