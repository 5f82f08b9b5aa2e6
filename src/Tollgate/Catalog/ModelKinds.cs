namespace Tollgate.Catalog;

/// <summary>The values of <see cref="CatalogModel.Kind"/>: what a model produces and how it is billed.</summary>
public static class ModelKinds
{
    /// <summary>Text generation (chat completions, responses, messages); billed by tokens.</summary>
    public const string Chat = "chat";

    /// <summary>Embeddings; billed by input tokens.</summary>
    public const string Embedding = "embedding";

    /// <summary>Document OCR; billed per page.</summary>
    public const string Ocr = "ocr";

    /// <summary>Text to speech; billed per million characters.</summary>
    public const string Speech = "speech";

    /// <summary>Speech to text; billed per minute of audio.</summary>
    public const string Transcription = "transcription";

    /// <summary>Image generation and editing; billed per image and/or by tokens.</summary>
    public const string Image = "image";

    /// <summary>Video generation; billed per second of video.</summary>
    public const string Video = "video";

    /// <summary>Every kind, in the order the spec lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [Chat, Embedding, Ocr, Speech, Transcription, Image, Video];

    /// <summary>Whether <paramref name="kind"/> is one of <see cref="All"/> (exact, ordinal).</summary>
    public static bool IsKnown(string kind) => All.Contains(kind, StringComparer.Ordinal);
}
