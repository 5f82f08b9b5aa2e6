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

    /// <summary>
    /// Per generated image by variant (catalog <c>perImageVariants</c>): keys are <c>size/quality</c>
    /// (<c>1024x1024/high</c>) or <c>size</c> alone; see <see cref="ImagePrice"/>.
    /// </summary>
    public IReadOnlyDictionary<string, decimal> ImageVariants { get; init; } = EmptyVariants;

    /// <summary>Per second of generated video by resolution (catalog <c>perVideoSecondVariants</c>, keys like <c>1280x720</c>).</summary>
    public IReadOnlyDictionary<string, decimal> VideoVariants { get; init; } = EmptyVariants;

    /// <summary>Long-context prices by prompt size; see <see cref="ForPromptTokens"/>.</summary>
    public IReadOnlyList<PriceTier> Tiers { get; init; } = [];

    /// <summary>
    /// Whether both the input and the output token prices are set, so a token-billed (chat) request can be
    /// charged. The gateway refuses a chat mapping whose price in force is not.
    /// </summary>
    public bool IsPricedForTokens => InputPerMillion is not null && OutputPerMillion is not null;

    private static readonly IReadOnlyDictionary<string, decimal> EmptyVariants = new Dictionary<string, decimal>(0);

    /// <summary>
    /// Whether a request of a model of <paramref name="kind"/> (<see cref="ModelKinds"/>) can be charged
    /// at this price in one of the units that kind is billed in. The gateway refuses a mapping whose
    /// price in force is not, rather than charging it zero.
    /// </summary>
    public bool IsPricedFor(string kind) => kind switch
    {
        ModelKinds.Chat => IsPricedForTokens,
        ModelKinds.Embedding => InputPerMillion is not null,
        ModelKinds.Speech => SpeechPerMillionCharacters is not null || IsPricedForTokens,
        ModelKinds.Transcription => PerAudioMinute is not null || IsPricedForTokens,
        ModelKinds.Image => PerImage is not null || ImageVariants.Count > 0 || IsPricedForTokens,
        ModelKinds.Ocr => PerOcrPage is not null,
        ModelKinds.Video => PerVideoSecond is not null || VideoVariants.Count > 0,
        _ => false,
    };

    /// <summary>A rough price level to try the cheapest provider first: the sum of the unit prices that are set.</summary>
    public decimal Level => (InputPerMillion ?? 0) + (OutputPerMillion ?? 0) + (PerRequest ?? 0) + (PerImage ?? 0)
        + (ImageVariants.Count == 0 ? 0 : ImageVariants.Values.Max()) + (PerVideoSecond ?? 0)
        + (VideoVariants.Count == 0 ? 0 : VideoVariants.Values.Max())
        + (SpeechPerMillionCharacters ?? 0) + (PerAudioMinute ?? 0) + (PerOcrPage ?? 0);

    /// <summary>
    /// The price of one image of <paramref name="variant"/> (<c>size/quality</c>, or <c>size</c>): the
    /// exact variant, else the size's own price, else <see cref="PerImage"/>; null when none is set. A
    /// catalog that lists variants prices only those (a size it does not list has no price), so an
    /// unknown size is refused instead of charged at a default.
    /// </summary>
    public decimal? ImagePrice(string? variant)
    {
        if (variant is null || ImageVariants.Count == 0)
        {
            return PerImage ?? (ImageVariants.Count == 0 ? null : ImageVariants.Values.Max());
        }

        if (ImageVariants.TryGetValue(variant, out var exact))
        {
            return exact;
        }

        var slash = variant.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && ImageVariants.TryGetValue(variant[..slash], out var bySize) ? bySize : null;
    }

    /// <summary>The price of one second of video at <paramref name="resolution"/>; the same rules as <see cref="ImagePrice"/>.</summary>
    public decimal? VideoSecondPrice(string? resolution)
    {
        if (resolution is null || VideoVariants.Count == 0)
        {
            return PerVideoSecond ?? (VideoVariants.Count == 0 ? null : VideoVariants.Values.Max());
        }

        return VideoVariants.TryGetValue(resolution, out var exact) ? exact : null;
    }

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
            ImageVariants = ImageVariants,
            VideoVariants = VideoVariants,
        };
    }
}
