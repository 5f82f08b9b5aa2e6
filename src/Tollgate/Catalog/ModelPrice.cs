namespace Tollgate.Catalog;

/// <summary>
/// Prices of one provider mapping during one schedule, in USD. Every field is optional; a field that is
/// null is not charged. Token prices are per million tokens.
/// </summary>
public sealed record ModelPrice
{
    /// <summary>Uncached input tokens, per million.</summary>
    public decimal? InputPerMillion { get; init; }

    /// <summary>Output tokens (reasoning included), per million.</summary>
    public decimal? OutputPerMillion { get; init; }

    /// <summary>Input tokens read from the prompt cache, per million; null falls back to <see cref="InputPerMillion"/>.</summary>
    public decimal? CachedInputPerMillion { get; init; }

    /// <summary>Input tokens written to the prompt cache, per million; null falls back to <see cref="InputPerMillion"/>.</summary>
    public decimal? CacheWritePerMillion { get; init; }

    /// <summary>A flat charge per request.</summary>
    public decimal? PerRequest { get; init; }

    /// <summary>Per generated image.</summary>
    public decimal? PerImage { get; init; }

    /// <summary>Per second of generated video.</summary>
    public decimal? PerVideoSecond { get; init; }

    /// <summary>Text to speech, per million input characters.</summary>
    public decimal? SpeechPerMillionCharacters { get; init; }

    /// <summary>Per minute of transcribed audio.</summary>
    public decimal? PerAudioMinute { get; init; }

    /// <summary>Per OCR page.</summary>
    public decimal? PerOcrPage { get; init; }

    /// <summary>Long-context prices by prompt size; see <see cref="ForPromptTokens"/>.</summary>
    public IReadOnlyList<PriceTier> Tiers { get; init; } = [];

    /// <summary>
    /// Whether both the input and the output token prices are set, so a token-billed (chat) request can be
    /// charged. The gateway refuses a chat mapping whose price in force is not.
    /// </summary>
    public bool IsPricedForTokens => InputPerMillion is not null && OutputPerMillion is not null;

    /// <summary>
    /// The price for a request of <paramref name="promptTokens"/> prompt tokens: the highest tier whose
    /// <see cref="PriceTier.AboveInputTokens"/> is below the prompt size overrides the fields it sets, and the result
    /// has no tiers. When no tier applies, this price itself.
    /// </summary>
    public ModelPrice ForPromptTokens(long promptTokens)
    {
        PriceTier? applied = null;
        foreach (var tier in Tiers)
        {
            if (tier.AboveInputTokens < promptTokens && (applied is null || tier.AboveInputTokens > applied.AboveInputTokens))
            {
                applied = tier;
            }
        }

        if (applied is null)
        {
            return this;
        }

        return new ModelPrice
        {
            InputPerMillion = applied.InputPerMillion ?? InputPerMillion,
            OutputPerMillion = applied.OutputPerMillion ?? OutputPerMillion,
            CachedInputPerMillion = applied.CachedInputPerMillion ?? CachedInputPerMillion,
            CacheWritePerMillion = applied.CacheWritePerMillion ?? CacheWritePerMillion,
            PerRequest = applied.PerRequest ?? PerRequest,
            PerImage = applied.PerImage ?? PerImage,
            PerVideoSecond = applied.PerVideoSecond ?? PerVideoSecond,
            SpeechPerMillionCharacters = applied.SpeechPerMillionCharacters ?? SpeechPerMillionCharacters,
            PerAudioMinute = applied.PerAudioMinute ?? PerAudioMinute,
            PerOcrPage = applied.PerOcrPage ?? PerOcrPage,
        };
    }
}
