namespace Tollgate.Catalog;

/// <summary>
/// What one request used, in the units its kind is billed in (the catalog's price fields): tokens for
/// chat and embeddings (and for speech, transcription and images where a provider prices them by
/// token), characters of speech, images at a size and quality, OCR pages, seconds of audio, seconds of
/// video at a resolution. The same shape carries a request's worst case before it goes upstream and
/// the actual read from the answer, so both are priced by <see cref="UnitCost"/> alone.
/// </summary>
public sealed record UnitUsage
{
    /// <summary>Token counts, when the request is billed by token.</summary>
    public TokenUsage? Tokens { get; init; }

    /// <summary>Characters of text to speech (Unicode scalar values).</summary>
    public long Characters { get; init; }

    /// <summary>Images generated.</summary>
    public long Images { get; init; }

    /// <summary>The image variant, <c>size/quality</c> or <c>size</c> (e.g. <c>1024x1024/high</c>); null for the plain per-image price.</summary>
    public string? ImageVariant { get; init; }

    /// <summary>Document pages processed (OCR).</summary>
    public long Pages { get; init; }

    /// <summary>Seconds of audio transcribed.</summary>
    public decimal AudioSeconds { get; init; }

    /// <summary>Seconds of video generated.</summary>
    public decimal VideoSeconds { get; init; }

    /// <summary>The video resolution (e.g. <c>1280x720</c>); null for the plain per-second price.</summary>
    public string? VideoVariant { get; init; }
}
