namespace Tollgate.FakeProviders.OpenAI;

/// <summary>The token counts of one answer.</summary>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Content tokens produced plus reasoning tokens.</param>
/// <param name="CachedTokens">Cached prompt tokens (at most <paramref name="PromptTokens"/>).</param>
/// <param name="ReasoningTokens">Reasoning tokens (included in <paramref name="CompletionTokens"/>).</param>
internal readonly record struct Usage(int PromptTokens, int CompletionTokens, int CachedTokens, int ReasoningTokens);
