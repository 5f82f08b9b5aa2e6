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

    /// <summary>USD → pico-dollars.</summary>
    public static long ToPico(decimal usd) => (long)decimal.Round(usd * PicoPerDollar, 0, MidpointRounding.AwayFromZero);

    /// <summary>Pico-dollars → USD.</summary>
    public static decimal FromPico(long pico) => pico / PicoPerDollar;

    /// <summary>The canonical wire form: a decimal string with no trailing zeros (<c>"42.13"</c>, <c>"0.000375"</c>).</summary>
    public static string ToWire(decimal usd) => (usd / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);

    /// <summary>The canonical wire form of a pico-dollar amount.</summary>
    public static string ToWire(long pico) => ToWire(FromPico(pico));
}
