using Tollgate.Budgets;

namespace Tollgate.Tests.Budgets;

public sealed class MoneyTests
{
    [Theory]
    [InlineData("0.000375", 375_000_000L)]
    [InlineData("42.13", 42_130_000_000_000L)]
    [InlineData("0.0000000000005", 1L)] // half a pico-dollar rounds away from zero
    [InlineData("0", 0L)]
    public void ToPico_ExactAmounts_AreWholePicoDollars(string usd, long pico) =>
        Assert.Equal(pico, Money.ToPico(decimal.Parse(usd, System.Globalization.CultureInfo.InvariantCulture)));

    [Theory]
    [InlineData(42_130_000_000_000L, "42.13")]
    [InlineData(375_000_000L, "0.000375")]
    [InlineData(0L, "0")]
    [InlineData(1L, "0.000000000001")]
    public void ToWire_PicoDollars_IsCanonicalDecimalString(long pico, string wire) => Assert.Equal(wire, Money.ToWire(pico));

    [Theory]
    [InlineData("1000000", true)]
    [InlineData("999999.999999999999", true)]
    [InlineData("1000000.000000000001", false)]
    [InlineData("1000000000", false)] // would not fit in 64-bit pico-dollars: refused, not overflowed
    [InlineData("99999999999999999999", false)]
    public void TryRead_AmountsUpToOneMillionUsd_LargerOnesAreRefusedWithAReason(string wire, bool accepted)
    {
        using var document = System.Text.Json.JsonDocument.Parse($"\"{wire}\"");
        var ok = Money.TryRead(document.RootElement, out var pico, out var problem);
        Assert.Equal(accepted, ok);
        if (accepted)
        {
            Assert.Equal(Money.ToPico(decimal.Parse(wire, System.Globalization.CultureInfo.InvariantCulture)), pico);
        }
        else
        {
            Assert.Equal("must be at most 1000000.", problem);
        }
    }

    [Fact]
    public void ToPico_TokenCostsOfSixDecimalPrices_SumExactly()
    {
        // 3 × 0.0375/M + 7 × 0.99/M summed as pico-dollars equals the decimal total.
        var a = Money.ToPico(3 * 0.0375m / 1_000_000m);
        var b = Money.ToPico(7 * 0.99m / 1_000_000m);
        Assert.Equal(Money.ToPico((3 * 0.0375m + 7 * 0.99m) / 1_000_000m), a + b);
    }

    [Fact]
    public void ToWire_PicoDollars_SameTextAsTheDecimalForm()
    {
        var random = new Random(7);
        long[] edges = [0, 1, -1, 10, 1_000_000_000_000, -1_000_000_000_000, 1_500_000_000_000, 999_999_999_999, 1_000_000_000_001, long.MaxValue, long.MinValue, long.MinValue + 1];
        var values = edges.Concat(Enumerable.Range(0, 20_000).Select(i => random.NextInt64(long.MinValue, long.MaxValue) >> random.Next(0, 63)));
        foreach (var pico in values)
        {
            Assert.Equal(Money.ToWire(Money.FromPico(pico)), Money.ToWire(pico));
        }
    }
}
