using PdfSharp.Fonts;

namespace Tollgate.Billing.Documents;

/// <summary>
/// PDFsharp's fonts: DejaVu Sans (Debian's <c>fonts-dejavu-core</c>), read from
/// <c>/usr/share/fonts/truetype/dejavu</c>. DejaVu covers Latin, Greek, Cyrillic, Arabic, Hebrew and
/// many symbols (€, ©), so a company name in those scripts renders; it has no CJK glyphs, so Chinese,
/// Japanese and Korean names show as empty boxes. Every family asked for resolves to DejaVu Sans, so
/// no document depends on what else a machine has installed.
/// </summary>
internal sealed class DejaVuFontResolver : IFontResolver
{
    /// <summary>The family name documents use.</summary>
    public const string Family = "DejaVu Sans";

    /// <summary>Where Debian installs the fonts.</summary>
    public const string Directory = "/usr/share/fonts/truetype/dejavu";

    private const string Regular = "DejaVuSans";
    private const string Bold = "DejaVuSans-Bold";

    private static readonly Lock Sync = new();
    private static DejaVuFontResolver? _installed;

    private DejaVuFontResolver()
    {
    }

    /// <summary>
    /// Installs the resolver for the process, once: PDFsharp's font settings are global and may be set
    /// only before the first font is used (and then only to the same instance).
    /// </summary>
    public static void Install()
    {
        lock (Sync)
        {
            if (_installed is not null)
            {
                return;
            }

            _installed = new DejaVuFontResolver();
            GlobalFontSettings.FontResolver = _installed;
        }
    }

    /// <inheritdoc />
    public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) =>
        new(bold ? Bold : Regular);

    /// <inheritdoc />
    public byte[]? GetFont(string faceName)
    {
        var path = Path.Combine(Directory, faceName + ".ttf");
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"The font {path} is missing: install Debian's fonts-dejavu-core to render invoices.");
        }

        return File.ReadAllBytes(path);
    }
}
