using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PdfSharp.Drawing;
using PdfSharp.Pdf;

namespace Tollgate.Billing.Documents;

/// <summary>
/// Draws a <see cref="BillingDocument"/> as a one-page A4 PDF with PDFsharp. The output depends on
/// the document alone: the creation and modification dates are the issue instant and the file
/// identifier is derived from the transaction id, so the same transaction is the same bytes on every
/// call, node and day.
/// </summary>
internal static partial class InvoicePdf
{
    private const double Left = 56;
    private const double Right = 539; // A4 is 595 points wide
    private const double Width = Right - Left;

    private static readonly XColor Accent = XColor.FromArgb(0x1F, 0x3A, 0x5F);
    private static readonly XColor Muted = XColor.FromArgb(0x55, 0x5F, 0x6B);
    private static readonly XColor Rule = XColor.FromArgb(0xC8, 0xCE, 0xD6);
    private static readonly XColor Shade = XColor.FromArgb(0xEE, 0xF1, 0xF5);

    /// <summary>The PDF's bytes.</summary>
    public static byte[] Render(BillingDocument doc)
    {
        DejaVuFontResolver.Install();
        using var pdf = new PdfDocument();
        var issued = DateTimeOffset.FromUnixTimeMilliseconds(doc.IssuedAtMs).UtcDateTime;
        pdf.Info.Title = $"{doc.Title} {doc.Number}";
        pdf.Info.Author = doc.Seller.Name;
        pdf.Info.Subject = $"{doc.Title} {doc.Number} for {doc.Buyer.Name}";
        pdf.Info.Creator = "Tollgate";
        pdf.Info.CreationDate = issued;
        pdf.Info.ModificationDate = issued;
        var id = FileId(doc.TransactionId);
        pdf.Internals.FirstDocumentID = id;
        pdf.Internals.SecondDocumentID = id;

        var page = pdf.AddPage();
        page.Size = PdfSharp.PageSize.A4;
        using (var gfx = XGraphics.FromPdfPage(page))
        {
            Draw(gfx, doc);
        }

        using var stream = new MemoryStream();
        pdf.Save(stream, false);
        return Stabilize(stream.ToArray(), doc.TransactionId);
    }

    /// <summary>
    /// PDFsharp names each embedded font subset with a random six-letter tag (<c>/WROCNX+DejaVu Sans</c>)
    /// and writes random uuids into the XMP metadata; both stand in uncompressed dictionaries. Each is
    /// replaced, in order of first appearance, by a value of the same length derived from the
    /// transaction id, so no byte offset (and no cross-reference entry) moves.
    /// </summary>
    private static byte[] Stabilize(byte[] pdf, string transactionId)
    {
        var text = Encoding.Latin1.GetString(pdf);
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        text = SubsetTag().Replace(text, m => "/" + Derived(seen, m.Groups[1].Value, transactionId, tag: true) + "+");
        text = XmpUuid().Replace(text, m => "uuid:" + Derived(seen, m.Groups[1].Value, transactionId, tag: false));
        var bytes = Encoding.Latin1.GetBytes(text);
        return bytes.Length == pdf.Length ? bytes : throw new InvalidOperationException("Stabilizing the PDF changed its length.");
    }

    private static string Derived(Dictionary<string, string> seen, string original, string transactionId, bool tag)
    {
        if (seen.TryGetValue(original, out var known))
        {
            return known;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{transactionId}:{(tag ? "tag" : "uuid")}:{seen.Count}"));
        var value = tag
            ? new string([.. hash.Take(6).Select(b => (char)('A' + (b % 26)))])
            : new Guid(hash.AsSpan(0, 16)).ToString("D");
        seen[original] = value;
        return value;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"/([A-Z]{6})\+")]
    private static partial System.Text.RegularExpressions.Regex SubsetTag();

    [System.Text.RegularExpressions.GeneratedRegex(@"uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")]
    private static partial System.Text.RegularExpressions.Regex XmpUuid();

    private static void Draw(XGraphics gfx, BillingDocument doc)
    {
        var title = new XFont(DejaVuFontResolver.Family, 22, XFontStyleEx.Bold);
        var heading = new XFont(DejaVuFontResolver.Family, 9, XFontStyleEx.Bold);
        var strong = new XFont(DejaVuFontResolver.Family, 10, XFontStyleEx.Bold);
        var body = new XFont(DejaVuFontResolver.Family, 10);
        var small = new XFont(DejaVuFontResolver.Family, 8);
        var accent = new XSolidBrush(Accent);
        var muted = new XSolidBrush(Muted);

        // :: Step 1: the seller (left) and the document's identity (right)
        var y = 56.0;
        var sellerBottom = Block(gfx, [doc.Seller.Name], strong, XBrushes.Black, Left, y, 260);
        sellerBottom = Block(gfx, Lines(doc.Seller.Address, doc.Seller.Country, doc.Seller.Email, Labelled("Tax ID", doc.Seller.TaxId)), body, muted, Left, sellerBottom, 260);
        gfx.DrawString(doc.Title.ToUpperInvariant(), title, accent, new XRect(Left, y - 4, Width, 30), XStringFormats.TopRight);
        var meta = new (string Label, string Value)[]
        {
            ("Number", doc.Number),
            ("Issue date", doc.IssueDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            ("Currency", doc.Currency),
            ("Reference", doc.TransactionId),
        };
        var metaY = y + 34;
        foreach (var (label, value) in meta)
        {
            gfx.DrawString(label, body, muted, new XRect(Right - 280, metaY, 90, 14), XStringFormats.TopLeft);
            gfx.DrawString(value, label == "Number" ? strong : body, XBrushes.Black, new XRect(Right - 190, metaY, 190, 14), XStringFormats.TopRight);
            metaY += 15;
        }

        // :: Step 2: the buyer
        y = Math.Max(sellerBottom, metaY) + 24;
        gfx.DrawString("BILL TO", heading, accent, Left, y, XStringFormats.TopLeft);
        y = Block(gfx, [doc.Buyer.Name], strong, XBrushes.Black, Left, y + 14, Width);
        y = Block(gfx, Lines(doc.Buyer.Address, doc.Buyer.Country, doc.Buyer.Email, Labelled("Tax ID", doc.Buyer.TaxId)), body, muted, Left, y, Width);

        if (doc.Reference is not null)
        {
            y += 14;
            y = Block(gfx, [doc.Reference], strong, accent, Left, y, Width);
            if (!string.IsNullOrWhiteSpace(doc.Reason))
            {
                y = Block(gfx, ["Reason: " + doc.Reason], body, muted, Left, y, Width);
            }
        }

        // :: Step 3: the lines
        y += 22;
        const double qtyX = 300, unitX = 365;
        gfx.DrawRectangle(new XSolidBrush(Shade), Left, y, Width, 20);
        gfx.DrawString("Description", heading, accent, new XRect(Left + 6, y + 5, 260, 12), XStringFormats.TopLeft);
        gfx.DrawString("Qty", heading, accent, new XRect(qtyX, y + 5, 50, 12), XStringFormats.TopRight);
        gfx.DrawString("Unit price", heading, accent, new XRect(unitX, y + 5, 80, 12), XStringFormats.TopRight);
        gfx.DrawString("Amount", heading, accent, new XRect(Right - 86, y + 5, 80, 12), XStringFormats.TopRight);
        y += 26;
        foreach (var line in doc.Lines)
        {
            var bottom = Block(gfx, Wrap(gfx, line.Description, body, 230), body, XBrushes.Black, Left + 6, y, 230);
            gfx.DrawString(line.Quantity.ToString(CultureInfo.InvariantCulture), body, XBrushes.Black, new XRect(qtyX, y, 50, 14), XStringFormats.TopRight);
            gfx.DrawString(BillingDocument.Amount(line.UnitPico), body, XBrushes.Black, new XRect(unitX, y, 80, 14), XStringFormats.TopRight);
            gfx.DrawString(BillingDocument.Amount(line.AmountPico), body, XBrushes.Black, new XRect(Right - 86, y, 80, 14), XStringFormats.TopRight);
            y = bottom + 6;
            gfx.DrawLine(new XPen(Rule, 0.5), Left, y, Right, y);
            y += 8;
        }

        // :: Step 4: the totals
        var totals = new (string Label, string Value, bool Strong)[]
        {
            ("Subtotal", BillingDocument.Amount(doc.SubtotalPico), false),
            (doc.TaxLabel, BillingDocument.Amount(doc.TaxPico), false),
            ($"Total {doc.Currency}", BillingDocument.Amount(doc.TotalPico), true),
        };
        y += 4;
        foreach (var (label, value, isStrong) in totals)
        {
            if (isStrong)
            {
                gfx.DrawLine(new XPen(Accent, 1), Right - 250, y - 2, Right, y - 2);
                y += 4;
            }

            gfx.DrawString(label, isStrong ? strong : body, isStrong ? XBrushes.Black : muted, new XRect(Right - 250, y, 160, 14), XStringFormats.TopLeft);
            gfx.DrawString(value, isStrong ? strong : body, XBrushes.Black, new XRect(Right - 86, y, 80, 14), XStringFormats.TopRight);
            y += 17;
        }

        if (doc.ReverseChargeNote is not null)
        {
            y += 12;
            y = Block(gfx, Wrap(gfx, doc.ReverseChargeNote, body, Width), body, XBrushes.Black, Left, y, Width);
        }

        // :: Step 5: the footer
        var footer = doc.IsCreditNote
            ? $"This credit note corrects the invoice named above. Amounts in {doc.Currency}."
            : $"Prepaid credits for the Tollgate gateway. Amounts in {doc.Currency}.";
        gfx.DrawLine(new XPen(Rule, 0.5), Left, 780, Right, 780);
        gfx.DrawString(footer, small, muted, new XRect(Left, 786, Width, 12), XStringFormats.TopLeft);
        gfx.DrawString($"{doc.Seller.Name} · {doc.Number}", small, muted, new XRect(Left, 786, Width, 12), XStringFormats.TopRight);
    }

    /// <summary>Draws lines top-down from <paramref name="y"/>, wrapping each to the width; returns the y under the last.</summary>
    private static double Block(XGraphics gfx, IEnumerable<string> lines, XFont font, XBrush brush, double x, double y, double width)
    {
        var height = font.GetHeight() + 1;
        foreach (var line in lines.SelectMany(l => Wrap(gfx, l, font, width)))
        {
            gfx.DrawString(line, font, brush, new XRect(x, y, width, height), XStringFormats.TopLeft);
            y += height;
        }

        return y;
    }

    /// <summary>Splits text into lines that fit the width, at spaces (a word longer than the width stands alone).</summary>
    private static List<string> Wrap(XGraphics gfx, string text, XFont font, double width)
    {
        var lines = new List<string>();
        foreach (var paragraph in text.Replace("\r", "", StringComparison.Ordinal).Split('\n'))
        {
            var current = new StringBuilder();
            foreach (var word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var candidate = current.Length == 0 ? word : current + " " + word;
                if (current.Length > 0 && gfx.MeasureString(candidate, font).Width > width)
                {
                    lines.Add(current.ToString());
                    current.Clear().Append(word);
                }
                else
                {
                    current.Clear().Append(candidate);
                }
            }

            if (current.Length > 0)
            {
                lines.Add(current.ToString());
            }
        }

        return lines;
    }

    private static IEnumerable<string> Lines(params string?[] parts) => parts.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => p!);

    private static string? Labelled(string label, string? value) => string.IsNullOrWhiteSpace(value) ? null : $"{label}: {value}";

    // 16 bytes of SHA-256 of the transaction id, as PDFsharp's byte string (one char per byte).
    private static string FileId(string transactionId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("tollgate-document:" + transactionId));
        return new string([.. hash.AsSpan(0, 16).ToArray().Select(b => (char)b)]);
    }
}
