using Tollgate.Budgets;
using Tollgate.Catalog;

namespace Tollgate.Tests.Budgets;

/// <summary>The worst case admission reserves for a request.</summary>
public sealed class CostEstimatorTests
{
    private static readonly ModelPrice Tiered = new()
    {
        InputPerMillion = 1.25m,
        OutputPerMillion = 10m,
        Tiers = [new PriceTier(200_000) { InputPerMillion = 2.5m, OutputPerMillion = 15m }],
    };

    [Fact]
    public void LargePrompt_IsReservedAtTheTierItsSizeFallsIn()
    {
        // 300,000 input tokens is past the 200k tier: $2.5 and $15 per million, not the small-context $1.25 and $10.
        var worst = CostEstimator.WorstCasePico(Tiered, 300_000, 1_000);

        Assert.Equal(Money.ToPico((300_000 * 2.5m / 1_000_000) + (1_000 * 15m / 1_000_000)), worst);
    }

    [Fact]
    public void SmallPrompt_IsReservedAtTheBasePrice()
    {
        var worst = CostEstimator.WorstCasePico(Tiered, 1_000, 1_000);

        Assert.Equal(Money.ToPico((1_000 * 1.25m / 1_000_000) + (1_000 * 10m / 1_000_000)), worst);
    }

    [Fact]
    public void InputBound_IsTheRequestsUtf8Size_NeverBelowOneToken()
    {
        // A token is at least one byte, so the body's byte count bounds the prompt's tokens from above.
        Assert.Equal(4_321, CostEstimator.InputTokenBound(4_321));
        Assert.Equal(1, CostEstimator.InputTokenBound(0));
    }
}
