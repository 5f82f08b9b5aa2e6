namespace Tollgate.Catalog;

/// <summary>
/// Token counts of one request, normalised across providers so that no token is counted twice.
/// </summary>
/// <param name="InputTokens">Uncached input tokens, billed at the input price.</param>
/// <param name="CachedInputTokens">Input tokens read from the provider's prompt cache.</param>
/// <param name="CacheWriteTokens">Input tokens written to the provider's prompt cache.</param>
/// <param name="OutputTokens">Visible output tokens, reasoning excluded.</param>
/// <param name="ReasoningTokens">Reasoning (thinking) tokens, billed at the output price.</param>
public readonly record struct TokenUsage(
    long InputTokens,
    long CachedInputTokens,
    long CacheWriteTokens,
    long OutputTokens,
    long ReasoningTokens)
{
    /// <summary>The whole prompt: uncached, cached and cache-write input. Selects the price tier.</summary>
    public long PromptTokens => InputTokens + CachedInputTokens + CacheWriteTokens;

    /// <summary>Tokens billed at the output price: visible output plus reasoning.</summary>
    public long BilledOutputTokens => OutputTokens + ReasoningTokens;
}
