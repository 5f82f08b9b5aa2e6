namespace Tollgate.Gateway.Translation;

/// <summary>
/// Converts between OpenAI's reasoning effort levels, Anthropic's effort levels (adaptive thinking)
/// and thinking token budgets, and recognises whose signature a thinking block carries.
/// </summary>
/// <remarks>
/// The effort → budget table (Anthropic's minimum budget is 1,024 tokens):
/// <code>
///   minimal, low → 1,024    medium → 4,096    high → 16,384    xhigh → 32,768
/// </code>
/// The budget → effort direction takes the nearest level on a log scale, cutting at the
/// geometric midpoints: budget &lt; 2,048 → low, &lt; 8,192 → medium, &lt; 24,576 → high, else xhigh.
/// A round trip effort → budget → effort gives back the same level (minimal comes back low).
/// </remarks>
internal static partial class ReasoningMap
{
    /// <summary>
    /// The thinking to send to a Claude model (Anthropic, Vertex, Bedrock): an effort as adaptive thinking
    /// at that effort, or a token budget below <paramref name="max"/>. Models before Claude 4.6 take only a
    /// budget (an effort becomes the budget of the table above, shrunk below the limit); current models
    /// take only adaptive thinking for an effort. A client's own budget is always sent as a budget.
    /// </summary>
    public static (string? AdaptiveEffort, long? Budget) ClaudeThinking(Reasoning? reasoning, string providerModel, long? max)
    {
        if (reasoning is null)
        {
            return (null, null);
        }

        if (reasoning.BudgetTokens is { } budget)
        {
            return budget >= max
                ? throw TranslationException.Invalid($"The output limit ({max}) must exceed the thinking budget ({budget}); Anthropic's smallest budget is {MinBudget}.", "max_tokens")
                : (null, budget);
        }

        if (reasoning.Effort is not { } effort || AnthropicEffort(effort) is not { } level)
        {
            return (null, null);
        }

        if (!BudgetOnlyClaude().IsMatch(providerModel))
        {
            return (level, null);
        }

        var fromEffort = BudgetFor(effort)!.Value;
        return max is { } limit && fromEffort >= limit
            ? limit - 1 >= MinBudget ? (null, limit - 1) : throw TranslationException.Invalid($"The output limit ({limit}) must exceed the thinking budget; Anthropic's smallest budget is {MinBudget}.", "max_tokens")
            : (null, fromEffort);
    }

    // Claude 3.x, and Claude 4, 4.1 and 4.5 (opus, sonnet, haiku) by any provider's spelling of the id.
    [System.Text.RegularExpressions.GeneratedRegex(@"claude-(3|(opus|sonnet|haiku)-4(-[0-5])?(-\d{8}|@\d{8}|-v\d|$))", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex BudgetOnlyClaude();

    /// <summary>Anthropic's smallest thinking budget.</summary>
    public const long MinBudget = 1024;

    /// <summary>The budget for an effort level; null for <c>none</c> (no thinking).</summary>
    public static long? BudgetFor(string effort) => effort switch
    {
        "none" => null,
        "minimal" or "low" => 1024,
        "medium" => 4096,
        "high" => 16384,
        "xhigh" or "max" => 32768,
        _ => throw TranslationException.Invalid($"Unknown reasoning effort '{effort}'.", "reasoning_effort"),
    };

    /// <summary>The effort level nearest a budget.</summary>
    public static string EffortFor(long budget) => budget switch
    {
        < 2048 => "low",
        < 8192 => "medium",
        < 24576 => "high",
        _ => "xhigh",
    };

    /// <summary>
    /// Anthropic's <c>output_config.effort</c> for an effort level (<c>low</c>, <c>medium</c>, <c>high</c>,
    /// <c>max</c>); null for <c>none</c> (no thinking).
    /// </summary>
    public static string? AnthropicEffort(string effort) => effort switch
    {
        "none" => null,
        "minimal" or "low" => "low",
        "medium" => "medium",
        "high" => "high",
        "xhigh" or "max" => "max",
        _ => throw TranslationException.Invalid($"Unknown reasoning effort '{effort}'.", "reasoning_effort"),
    };

    /// <summary>A token budget from either form (Gemini's <c>thinkingBudget</c>); null when thinking is off.</summary>
    public static long? Budget(Reasoning reasoning) =>
        reasoning.BudgetTokens ?? (reasoning.Effort is { } effort ? BudgetFor(effort) : null);

    /// <summary>The effort to send to an OpenAI format, from either form.</summary>
    public static string? Effort(Reasoning reasoning) =>
        reasoning.Effort ?? (reasoning.BudgetTokens is { } budget ? EffortFor(budget) : null);

    /// <summary>
    /// Responses reasoning items come back in a later request only with their item id and their
    /// encrypted content, while a Messages client keeps only a thinking block's signature. The
    /// signature of a thinking block made from a reasoning item is therefore both, joined by
    /// <see cref="Separator"/> (an id never contains it, nor does base64). The other way, thinking
    /// from Anthropic given to a Responses client becomes a reasoning item with an id minted under
    /// <see cref="MintedPrefix"/> and the Anthropic signature as its encrypted content, so either
    /// provider gets back exactly what it signed and neither is sent the other's.
    /// </summary>
    public const char Separator = '|';

    /// <summary>The id prefix of reasoning items the gateway made from another format's thinking.</summary>
    public const string MintedPrefix = "rs_thinking_";

    /// <summary>The signature of a thinking block made from a Responses reasoning item.</summary>
    public static string Pack(string itemId, string? encryptedContent) => itemId + Separator + encryptedContent;

    /// <summary>The signature to send to Anthropic, or null when the thinking cannot go there.</summary>
    public static string? AnthropicSignature(string? signature)
    {
        if (string.IsNullOrEmpty(signature))
        {
            return null;
        }

        if (Unpack(signature) is not { } packed)
        {
            return signature;
        }

        return packed.Id.StartsWith(MintedPrefix, StringComparison.Ordinal) ? packed.Encrypted : null;
    }

    /// <summary>The reasoning item to send to a Responses provider, or null when the thinking is not OpenAI's.</summary>
    public static (string Id, string? Encrypted)? OpenAIReasoning(string? signature) =>
        Unpack(signature) is { } packed && !packed.Id.StartsWith(MintedPrefix, StringComparison.Ordinal) ? packed : null;

    /// <summary>The item id and encrypted content of a packed signature; null when it is not one.</summary>
    public static (string Id, string? Encrypted)? Unpack(string? signature)
    {
        if (signature is null || !signature.StartsWith("rs_", StringComparison.Ordinal))
        {
            return null;
        }

        var at = signature.IndexOf(Separator, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var encrypted = signature[(at + 1)..];
        return (signature[..at], encrypted.Length == 0 ? null : encrypted);
    }
}
