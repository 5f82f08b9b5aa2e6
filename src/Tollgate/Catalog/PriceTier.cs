namespace Tollgate.Catalog;

/// <summary>
/// A long-context price: applies to requests whose prompt (input + cached + cache-write tokens) is strictly above
/// <paramref name="AboveInputTokens"/>. The fields it sets override the base price's; null fields keep the base's.
/// </summary>
/// <param name="AboveInputTokens">The tier applies when the prompt has more tokens than this.</param>
public sealed record PriceTier(long AboveInputTokens)
{
    /// <summary>Uncached input tokens, per million.</summary>
    public decimal? InputPerMillion { get; init; }

    /// <summary>Output tokens (reasoning included), per million.</summary>
    public decimal? OutputPerMillion { get; init; }

    /// <summary>Input tokens read from the prompt cache, per million.</summary>
    public decimal? CachedInputPerMillion { get; init; }

    /// <summary>Input tokens written to the prompt cache, per million.</summary>
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
}
