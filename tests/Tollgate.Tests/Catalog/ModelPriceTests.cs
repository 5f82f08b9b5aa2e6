using Tollgate.Catalog;

namespace Tollgate.Tests.Catalog;

public sealed class ModelPriceTests
{
    [Fact]
    public void ForPromptTokens_AtTheThreshold_ReturnsTheBasePrice()
    {
        var price = new ModelPrice
        {
            InputPerMillion = 1m,
            OutputPerMillion = 2m,
            Tiers = [new PriceTier(1000) { InputPerMillion = 5m }],
        };

        var applied = price.ForPromptTokens(1000);

        Assert.Same(price, applied);
    }

    [Fact]
    public void ForPromptTokens_OneAboveTheThreshold_OverridesOnlyTheFieldsTheTierSets()
    {
        var price = new ModelPrice
        {
            InputPerMillion = 1m,
            OutputPerMillion = 2m,
            CachedInputPerMillion = 0.1m,
            PerRequest = 0.5m,
            Tiers = [new PriceTier(1000) { InputPerMillion = 5m }],
        };

        var applied = price.ForPromptTokens(1001);

        Assert.Equal(5m, applied.InputPerMillion);
        Assert.Equal(2m, applied.OutputPerMillion);
        Assert.Equal(0.1m, applied.CachedInputPerMillion);
        Assert.Equal(0.5m, applied.PerRequest);
        Assert.Empty(applied.Tiers);
    }

    [Fact]
    public void ForPromptTokens_SeveralTiersPassed_AppliesTheHighestOneOnly()
    {
        var price = new ModelPrice
        {
            InputPerMillion = 1m,
            OutputPerMillion = 2m,
            Tiers =
            [
                new PriceTier(500_000) { InputPerMillion = 4m },
                new PriceTier(100_000) { InputPerMillion = 2m, OutputPerMillion = 3m },
                new PriceTier(1_000_000) { InputPerMillion = 8m },
            ],
        };

        var applied = price.ForPromptTokens(600_000);

        Assert.Equal(4m, applied.InputPerMillion);
        Assert.Equal(2m, applied.OutputPerMillion); // the lower tier's output does not stack
    }

    [Theory]
    [InlineData(true, true, true)]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(false, false, false)]
    public void IsPricedForTokens_InputAndOutput_TrueOnlyWhenBothAreSet(bool hasInput, bool hasOutput, bool expected)
    {
        var price = new ModelPrice
        {
            InputPerMillion = hasInput ? 1m : null,
            OutputPerMillion = hasOutput ? 2m : null,
            PerImage = 0.04m,
        };

        var priced = price.IsPricedForTokens;

        Assert.Equal(expected, priced);
    }
}
