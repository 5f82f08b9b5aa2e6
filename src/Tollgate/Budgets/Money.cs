using System.Globalization;

namespace Tollgate.Budgets;

/// <summary>
/// Money conversions. Amounts are USD <see cref="decimal"/> in the domain and whole pico-dollars
/// (1e-12 USD, <see cref="long"/>) in counters and storage, so every sum is exact integer arithmetic.
/// Catalog prices have at most six decimals per million tokens, so a token's cost is a whole
/// number of pico-dollars; anything finer is rounded half away from zero.
/// </summary>
public static class Money
{
    private const decimal PicoPerDollar = 1_000_000_000_000m;

    /// <summary>
    /// The largest amount accepted on the wire: 10^18 pico-dollars, so sums of many amounts still fit in
    /// 64 bits (9.2 × 10^18); a larger value is a 400, never an overflow.
    /// </summary>
    public const decimal MaxUsd = 1_000_000m;

    /// <summary>USD → pico-dollars.</summary>
    public static long ToPico(decimal usd) => (long)decimal.Round(usd * PicoPerDollar, 0, MidpointRounding.AwayFromZero);

    /// <summary>Pico-dollars → USD.</summary>
    public static decimal FromPico(long pico) => pico / PicoPerDollar;

    /// <summary>Amounts on the wire have at most 12 decimal places: whole pico-dollars.</summary>
    public const int MaxDecimals = 12;

    /// <summary>
    /// Reads a USD amount sent as a JSON string (<c>"12.50"</c>) or number: non-negative, at most
    /// <see cref="MaxDecimals"/> decimals, at most one billion. On failure <paramref name="problem"/>
    /// says why, in words that follow the field's name.
    /// </summary>
    public static bool TryRead(System.Text.Json.JsonElement value, out long pico, out string problem)
    {
        pico = 0;
        problem = "";
        var text = value.ValueKind switch
        {
            System.Text.Json.JsonValueKind.String => value.GetString(),
            System.Text.Json.JsonValueKind.Number => value.GetRawText(),
            _ => null,
        };
        if (text is null || text.Length == 0 || text.Trim() != text
            || !decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var amount))
        {
            problem = "must be a decimal amount in USD, such as \"100\" or \"12.50\".";
            return false;
        }

        if (amount < 0)
        {
            problem = "must not be negative.";
            return false;
        }

        if (decimal.Round(amount, MaxDecimals) != amount)
        {
            problem = $"has more than {MaxDecimals} decimal places.";
            return false;
        }

        if (amount > MaxUsd)
        {
            problem = $"must be at most {MaxUsd}.";
            return false;
        }

        pico = ToPico(amount);
        return true;
    }

    /// <summary>The canonical wire form: a decimal string with no trailing zeros (<c>"42.13"</c>, <c>"0.000375"</c>).</summary>
    public static string ToWire(decimal usd) => (usd / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The canonical wire form of a pico-dollar amount: the same text as <see cref="ToWire(decimal)"/>
    /// of <see cref="FromPico"/>, written from the integer (an analytics answer writes tens of
    /// thousands of amounts, and two decimal divisions each were a visible part of its time).
    /// </summary>
    public static string ToWire(long pico)
    {
        const ulong PicoPerUsd = 1_000_000_000_000UL;
        var magnitude = pico < 0 ? (ulong)(-(pico + 1)) + 1 : (ulong)pico;
        var fraction = magnitude % PicoPerUsd;
        Span<char> text = stackalloc char[32];
        var n = 0;
        if (pico < 0)
        {
            text[n++] = '-';
        }

        (magnitude / PicoPerUsd).TryFormat(text[n..], out var written, default, CultureInfo.InvariantCulture);
        n += written;
        if (fraction != 0)
        {
            var digits = 12;
            while (fraction % 10 == 0)
            {
                fraction /= 10;
                digits--;
            }

            text[n++] = '.';
            for (var i = digits - 1; i >= 0; i--)
            {
                text[n + i] = (char)('0' + (int)(fraction % 10));
                fraction /= 10;
            }

            n += digits;
        }

        return new string(text[..n]);
    }
}
