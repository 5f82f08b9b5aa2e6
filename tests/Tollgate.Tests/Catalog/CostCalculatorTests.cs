using Tollgate.Catalog;

namespace Tollgate.Tests.Catalog;

public sealed class CostCalculatorTests
{
    [Fact]
    public void Compute_Gemma4InputAndOutput_IsTheExactHandComputedDecimal()
    {
        var price = ModelCatalog.LoadBuiltIn().Find("gemma-4-31b")!.Providers[0].PriceAt(DateTimeOffset.UnixEpoch)!;
        var usage = new TokenUsage(InputTokens: 1234, CachedInputTokens: 0, CacheWriteTokens: 0, OutputTokens: 567, ReasoningTokens: 0);

        var cost = CostCalculator.Compute(price, usage);

        // 1234 × 0.99 / 1e6 + 567 × 1.49 / 1e6 = 0.00122166 + 0.00084483
        Assert.Equal(0.00206649m, cost);
    }

    [Fact]
    public void Compute_CachedInputWithItsOwnPrice_BillsCachedTokensAtTheCachedPrice()
    {
        var price = new ModelPrice { InputPerMillion = 3m, OutputPerMillion = 15m, CachedInputPerMillion = 0.3m };
        var usage = new TokenUsage(InputTokens: 1000, CachedInputTokens: 9000, CacheWriteTokens: 0, OutputTokens: 0, ReasoningTokens: 0);

        var cost = CostCalculator.Compute(price, usage);

        // 1000 × 3 / 1e6 + 9000 × 0.3 / 1e6 = 0.003 + 0.0027
        Assert.Equal(0.0057m, cost);
    }

    [Fact]
    public void Compute_CachedInputWithoutCachedPrice_FallsBackToTheInputPrice()
    {
        var price = new ModelPrice { InputPerMillion = 0.99m, OutputPerMillion = 1.49m };
        var usage = new TokenUsage(InputTokens: 100, CachedInputTokens: 900, CacheWriteTokens: 0, OutputTokens: 0, ReasoningTokens: 0);

        var cost = CostCalculator.Compute(price, usage);

        // (100 + 900) × 0.99 / 1e6
        Assert.Equal(0.00099m, cost);
    }

    [Fact]
    public void Compute_CacheWriteWithItsOwnPrice_BillsWrittenTokensAtTheCacheWritePrice()
    {
        var price = new ModelPrice { InputPerMillion = 3m, OutputPerMillion = 15m, CachedInputPerMillion = 0.3m, CacheWritePerMillion = 3.75m };
        var usage = new TokenUsage(InputTokens: 10, CachedInputTokens: 0, CacheWriteTokens: 2000, OutputTokens: 0, ReasoningTokens: 0);

        var cost = CostCalculator.Compute(price, usage);

        // 10 × 3 / 1e6 + 2000 × 3.75 / 1e6 = 0.00003 + 0.0075
        Assert.Equal(0.00753m, cost);
    }

    [Fact]
    public void Compute_CacheWriteWithoutCacheWritePrice_FallsBackToTheInputPrice()
    {
        var price = new ModelPrice { InputPerMillion = 2m, OutputPerMillion = 8m, CachedInputPerMillion = 0.5m };
        var usage = new TokenUsage(InputTokens: 0, CachedInputTokens: 0, CacheWriteTokens: 5000, OutputTokens: 0, ReasoningTokens: 0);

        var cost = CostCalculator.Compute(price, usage);

        // 5000 × 2 / 1e6: the cached-read price does not apply to writes
        Assert.Equal(0.01m, cost);
    }

    [Fact]
    public void Compute_ReasoningTokens_AreBilledAtTheOutputPrice()
    {
        var price = new ModelPrice { InputPerMillion = 1.25m, OutputPerMillion = 10m };
        var withReasoning = new TokenUsage(InputTokens: 0, CachedInputTokens: 0, CacheWriteTokens: 0, OutputTokens: 200, ReasoningTokens: 4000);
        var allVisible = new TokenUsage(InputTokens: 0, CachedInputTokens: 0, CacheWriteTokens: 0, OutputTokens: 4200, ReasoningTokens: 0);

        var cost = CostCalculator.Compute(price, withReasoning);

        // (200 + 4000) × 10 / 1e6
        Assert.Equal(0.042m, cost);
        Assert.Equal(CostCalculator.Compute(price, allVisible), cost);
    }

    [Fact]
    public void Compute_PerRequestPrice_IsAddedOncePerRequest()
    {
        var price = new ModelPrice { InputPerMillion = 1m, OutputPerMillion = 2m, PerRequest = 0.005m };
        var usage = new TokenUsage(InputTokens: 1000, CachedInputTokens: 0, CacheWriteTokens: 0, OutputTokens: 1000, ReasoningTokens: 0);

        var cost = CostCalculator.Compute(price, usage);

        // 1000 × 1 / 1e6 + 1000 × 2 / 1e6 + 0.005
        Assert.Equal(0.008m, cost);
    }

    [Fact]
    public void Compute_AllBucketsTogether_SumsEveryRuleExactly()
    {
        var price = new ModelPrice
        {
            InputPerMillion = 2m,
            OutputPerMillion = 10m,
            CachedInputPerMillion = 0.2m,
            CacheWritePerMillion = 2.5m,
        };
        var usage = new TokenUsage(InputTokens: 1, CachedInputTokens: 3, CacheWriteTokens: 7, OutputTokens: 11, ReasoningTokens: 13);

        var cost = CostCalculator.Compute(price, usage);

        // (1 × 2 + 3 × 0.2 + 7 × 2.5 + 24 × 10) / 1e6 = 260.1 / 1e6
        Assert.Equal(0.0002601m, cost);
    }

    [Fact]
    public void Compute_TinyPrice_StaysExactWithoutRounding()
    {
        var price = new ModelPrice { InputPerMillion = 0.0000001m, OutputPerMillion = 0m };
        var usage = new TokenUsage(InputTokens: 3, CachedInputTokens: 0, CacheWriteTokens: 0, OutputTokens: 0, ReasoningTokens: 0);

        var cost = CostCalculator.Compute(price, usage);

        Assert.Equal(0.0000000000003m, cost);
    }

    [Fact]
    public void Compute_PromptExactlyAtTheTierThreshold_UsesTheBasePrice()
    {
        var price = LongContextPrice();
        var usage = new TokenUsage(InputTokens: 200_000, CachedInputTokens: 0, CacheWriteTokens: 0, OutputTokens: 1000, ReasoningTokens: 0);

        var cost = CostCalculator.Compute(price, usage);

        // 200000 × 1.25 / 1e6 + 1000 × 10 / 1e6
        Assert.Equal(0.26m, cost);
    }

    [Fact]
    public void Compute_PromptOneTokenAboveTheTierThreshold_UsesTheTierForEveryToken()
    {
        var price = LongContextPrice();
        var usage = new TokenUsage(InputTokens: 200_001, CachedInputTokens: 0, CacheWriteTokens: 0, OutputTokens: 1000, ReasoningTokens: 0);

        var cost = CostCalculator.Compute(price, usage);

        // 200001 × 2.5 / 1e6 + 1000 × 15 / 1e6
        Assert.Equal(0.5150025m, cost);
    }

    [Fact]
    public void Compute_CachedAndCacheWriteTokens_CountTowardsTheTierThreshold()
    {
        var price = LongContextPrice();
        var usage = new TokenUsage(InputTokens: 100_000, CachedInputTokens: 100_000, CacheWriteTokens: 1, OutputTokens: 0, ReasoningTokens: 0);

        var cost = CostCalculator.Compute(price, usage);

        // tier applies (200001 prompt tokens): 100000 × 2.5 + 100000 × 0.25 + 1 × 2.5 (write falls back to tier input), / 1e6
        Assert.Equal(0.2750025m, cost);
    }

    [Fact]
    public void Compute_NoTokenPrices_ChargesOnlyThePerRequestPrice()
    {
        var price = new ModelPrice { PerImage = 0.034m, PerRequest = 0.01m };
        var usage = new TokenUsage(InputTokens: 500, CachedInputTokens: 0, CacheWriteTokens: 0, OutputTokens: 500, ReasoningTokens: 0);

        var cost = CostCalculator.Compute(price, usage);

        Assert.Equal(0.01m, cost);
        Assert.False(price.IsPricedForTokens);
    }

    private static ModelPrice LongContextPrice() => new()
    {
        InputPerMillion = 1.25m,
        OutputPerMillion = 10m,
        CachedInputPerMillion = 0.125m,
        Tiers = [new PriceTier(200_000) { InputPerMillion = 2.5m, OutputPerMillion = 15m, CachedInputPerMillion = 0.25m }],
    };
}
