namespace Tollgate.Catalog;

/// <summary>Turns token usage into money, exactly: <see cref="decimal"/> throughout, no rounding.</summary>
public static class CostCalculator
{
    private const decimal TokensPerMillion = 1_000_000m;

    /// <summary>
    /// The cost in USD of <paramref name="usage"/> at <paramref name="price"/>, with the tier selected by
    /// <see cref="TokenUsage.PromptTokens"/>:
    /// <code>
    /// input × inputPerMillion
    /// + cached × (cachedInputPerMillion ?? inputPerMillion)
    /// + cacheWrite × (cacheWritePerMillion ?? inputPerMillion)
    /// + (output + reasoning) × outputPerMillion     all ÷ 1,000,000
    /// + perRequest
    /// </code>
    /// A price that is not set charges nothing; callers check <see cref="ModelPrice.IsPricedForTokens"/> first.
    /// </summary>
    public static decimal Compute(ModelPrice price, TokenUsage usage)
    {
        ArgumentNullException.ThrowIfNull(price);

        var applied = price.ForPromptTokens(usage.PromptTokens);
        var input = applied.InputPerMillion ?? 0m;
        var cachedInput = applied.CachedInputPerMillion ?? input;
        var cacheWrite = applied.CacheWritePerMillion ?? input;
        var output = applied.OutputPerMillion ?? 0m;

        // One division at the end: the sum of token × price is exact, and dividing by 10^6 only moves the
        // decimal point, so nothing is rounded while the scale stays within decimal's 28 digits.
        var micro = (usage.InputTokens * input)
            + (usage.CachedInputTokens * cachedInput)
            + (usage.CacheWriteTokens * cacheWrite)
            + (usage.BilledOutputTokens * output);

        return (micro / TokensPerMillion) + (applied.PerRequest ?? 0m);
    }
}
