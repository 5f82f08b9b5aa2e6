using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Tollgate.Budgets;
using Tollgate.Catalog;
using Tollgate.Gateway.Endpoints.Media;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;
using Tollgate.Providers;
using Tollgate.Providers.Google;

namespace Tollgate.Gateway.Endpoints.Images;

/// <summary>
/// OpenAI Images requests served by a Gemini image model (AI Studio, or Gemini on Vertex): one
/// <c>generateContent</c> call whose <c>generationConfig.responseModalities</c> is <c>["IMAGE"]</c>,
/// the prompt as a text part and, for an edit, each uploaded image as an <c>inlineData</c> part; the
/// OpenAI <c>size</c> becomes <c>imageConfig.aspectRatio</c>. The answer's <c>inlineData</c> images come
/// back as OpenAI's <c>data[].b64_json</c>, with <c>usage</c> from <c>usageMetadata</c>.
/// <para>Billing: a model with a per-image price is charged per image made, plus its prompt tokens
/// (and any text or thought tokens) at the token prices; the image tokens are what the per-image price
/// covers. A model with token prices only is charged every reported token. A Gemini image model makes
/// one image per call, so <c>n</c> above 1 is a 400.</para>
/// </summary>
internal static class GeminiImages
{
    // The aspect ratios Gemini image models take in imageConfig.aspectRatio.
    private static readonly string[] AspectRatios = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"];

    /// <summary>True when <paramref name="candidate"/> is a Gemini model (AI Studio, or Gemini on Vertex).</summary>
    public static bool Serves(RouteCandidate candidate) =>
        candidate.Endpoint.Protocol == ProviderProtocol.Gemini
        || (candidate.Endpoint.Protocol == ProviderProtocol.Vertex && !VertexUrls.IsClaude(candidate.Mapping.ProviderModelId));

    /// <summary>The aspect ratio of an OpenAI size (<c>1536x1024</c> → <c>3:2</c>); null for none or <c>auto</c>; an error for one Gemini does not make.</summary>
    public static (string? Ratio, GatewayError? Error) AspectRatio(string? size)
    {
        if (size is null or "auto")
        {
            return (null, null);
        }

        var x = size.IndexOf('x', StringComparison.Ordinal);
        if (x > 0 && int.TryParse(size.AsSpan(0, x), CultureInfo.InvariantCulture, out var width) && int.TryParse(size.AsSpan(x + 1), CultureInfo.InvariantCulture, out var height)
            && width > 0 && height > 0)
        {
            var gcd = Gcd(width, height);
            var ratio = $"{width / gcd}:{height / gcd}";
            if (AspectRatios.Contains(ratio, StringComparer.Ordinal))
            {
                return (ratio, null);
            }
        }

        return (null, GatewayError.BadRequest("invalid_value",
            $"'size' {size} is not an aspect ratio this model makes ({string.Join(", ", AspectRatios)}).", "size"));
    }

    /// <summary>The worst case of one request: the image (when priced per image) and the prompt and image tokens it may take.</summary>
    public static (UnitUsage? Bound, GatewayError? Error) Bound(RouteCandidate candidate, long n, string? size, long promptBytes, long inputImages)
    {
        if (n != 1)
        {
            return (null, GatewayError.BadRequest("invalid_value", "'n' must be 1 for this model: it makes one image per request.", "n"));
        }

        if (AspectRatio(size).Error is { } sizeError)
        {
            return (null, sizeError);
        }

        var perImage = candidate.Price.ImagePrice(null) is not null;
        var tokens = new TokenUsage(CostEstimator.InputTokenBound(promptBytes) + (inputImages * ImagePricing.TokensPerImageBound), 0, 0, ImagePricing.TokensPerImageBound, 0);
        return (new UnitUsage { Tokens = tokens, Images = perImage ? 1 : 0 }, null);
    }

    /// <summary>Gemini's error (<c>{"error":{"code","message","status"}}</c>) as OpenAI's.</summary>
    public static byte[] ReadError(int status, byte[] body)
    {
        string? code = null, message = null;
        if (MediaExchange.Root(body) is { } root && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            code = error.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        }

        return OpenAIErrorFormat.Instance.ToJson(GatewayError.Upstream(status, code ?? "upstream_error",
            message ?? $"The provider answered HTTP {status}: {System.Text.Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 2048)))}"));
    }

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);
}

/// <summary>One attempt of an OpenAI Images request at a Gemini image model (see <see cref="GeminiImages"/>).</summary>
/// <param name="adapter">Where the call goes and how it is authenticated: AI Studio's key, or Vertex's token.</param>
/// <param name="prompt">The client's prompt.</param>
/// <param name="images">For an edit, the uploaded images (content type, bytes).</param>
/// <param name="size">The client's OpenAI size, if any.</param>
/// <param name="created">The <c>created</c> time of the answer.</param>
internal sealed class GeminiImageExchange(
    IChatProviderAdapter adapter, string prompt, IReadOnlyList<(string Type, ReadOnlyMemory<byte> Data)> images, string? size, DateTimeOffset created)
    : IUpstreamExchange
{
    private ModelPrice? _price;

    /// <inheritdoc />
    public TokenUsage? StreamUsage => null;

    /// <inheritdoc />
    public long StreamContentBytes => 0;

    /// <inheritdoc />
    public ReadOnlyMemory<byte> StreamCompletion => default;

    /// <inheritdoc />
    public GatewayError? StreamFailure => null;

    /// <inheritdoc />
    public ValueTask<HttpRequestMessage> CreateRequestAsync(RouteCandidate candidate, long? clampedMaxOutputTokens, CancellationToken cancellationToken)
    {
        _price = candidate.Price;
        return adapter.CreateRequestAsync(candidate.Endpoint, candidate.Mapping.ProviderModelId, Body(), stream: false, cancellationToken);
    }

    /// <summary>The <c>generateContent</c> body: the prompt and images as one user turn, images only out.</summary>
    internal byte[] Body()
    {
        var buffer = new ArrayBufferWriter<byte>(256 + images.Sum(i => (i.Data.Length * 4 / 3) + 64) + prompt.Length);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("contents"u8);
            json.WriteStartObject();
            json.WriteString("role"u8, "user"u8);
            json.WriteStartArray("parts"u8);
            json.WriteStartObject();
            json.WriteString("text"u8, prompt);
            json.WriteEndObject();
            foreach (var (type, data) in images)
            {
                json.WriteStartObject();
                json.WriteStartObject("inlineData"u8);
                json.WriteString("mimeType"u8, type);
                json.WriteBase64String("data"u8, data.Span);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartObject("generationConfig"u8);
            json.WriteStartArray("responseModalities"u8);
            json.WriteStringValue("IMAGE"u8);
            json.WriteEndArray();
            if (GeminiImages.AspectRatio(size).Ratio is { } ratio)
            {
                json.WriteStartObject("imageConfig"u8);
                json.WriteString("aspectRatio"u8, ratio);
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <inheritdoc />
    public UpstreamAnswer ReadAnswer(byte[] upstreamBody)
    {
        if (MediaExchange.Root(upstreamBody) is not { } root)
        {
            return new UpstreamAnswer(upstreamBody, null, upstreamBody.Length);
        }

        var made = new List<string>();
        if (root.TryGetProperty("candidates", out var candidates) && candidates.ValueKind == JsonValueKind.Array)
        {
            foreach (var candidate in candidates.EnumerateArray())
            {
                if (candidate.TryGetProperty("content", out var content) && content.TryGetProperty("parts", out var parts) && parts.ValueKind == JsonValueKind.Array)
                {
                    foreach (var part in parts.EnumerateArray())
                    {
                        if (part.TryGetProperty("inlineData", out var inline) && inline.ValueKind == JsonValueKind.Object
                            && inline.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.String
                            && (!inline.TryGetProperty("mimeType", out var mime) || mime.GetString()?.StartsWith("image/", StringComparison.Ordinal) != false))
                        {
                            made.Add(data.GetString()!);
                        }
                    }
                }
            }
        }

        var (tokens, imageTokens) = Usage(root);
        var perImage = _price?.ImagePrice(null) is not null;
        UnitUsage? units = tokens is null && made.Count == 0 ? null : new UnitUsage
        {
            // The per-image price covers the image tokens; everything else is billed at the token prices.
            Tokens = tokens is { } t && perImage ? t with { OutputTokens = Math.Max(0, t.OutputTokens - imageTokens) } : tokens,
            Images = perImage ? made.Count : 0,
        };
        return new UpstreamAnswer(OpenAIAnswer(made, tokens), tokens, made.Sum(m => (long)m.Length), units, "application/json");
    }

    /// <inheritdoc />
    public byte[] ReadError(int status, byte[] upstreamBody) => GeminiImages.ReadError(status, upstreamBody);

    /// <inheritdoc />
    public bool OnEvent(ReadOnlyMemory<byte> ev, IBufferWriter<byte> output) => true;

    /// <inheritdoc />
    public byte[] StreamFailureEvents(GatewayError error) => [];

    // usageMetadata: promptTokenCount, candidatesTokenCount (images and text), thoughtsTokenCount, and
    // candidatesTokensDetails naming how many of the candidates' tokens are IMAGE.
    private static (TokenUsage? Tokens, long ImageTokens) Usage(JsonElement root)
    {
        if (!root.TryGetProperty("usageMetadata", out var usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return (null, 0);
        }

        long imageTokens = 0;
        if (usage.TryGetProperty("candidatesTokensDetails", out var details) && details.ValueKind == JsonValueKind.Array)
        {
            foreach (var detail in details.EnumerateArray())
            {
                if (detail.TryGetProperty("modality", out var modality) && modality.ValueKind == JsonValueKind.String && modality.GetString() == "IMAGE")
                {
                    imageTokens += MediaExchange.Long(detail, "tokenCount") ?? 0;
                }
            }
        }

        var prompt = MediaExchange.Long(usage, "promptTokenCount") ?? 0;
        var cached = Math.Min(prompt, MediaExchange.Long(usage, "cachedContentTokenCount") ?? 0);
        var output = MediaExchange.Long(usage, "candidatesTokenCount") ?? 0;
        var thoughts = MediaExchange.Long(usage, "thoughtsTokenCount") ?? 0;
        return (new TokenUsage(prompt - cached, cached, 0, output, thoughts), Math.Min(imageTokens, output));
    }

    // OpenAI's Images answer: created, data[].b64_json, and usage when the provider reported it.
    private byte[] OpenAIAnswer(List<string> made, TokenUsage? tokens)
    {
        var buffer = new ArrayBufferWriter<byte>(made.Sum(m => m.Length) + 256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("created"u8, created.ToUnixTimeSeconds());
            json.WriteStartArray("data"u8);
            foreach (var image in made)
            {
                json.WriteStartObject();
                json.WriteString("b64_json"u8, image);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (tokens is { } t)
            {
                var input = t.InputTokens + t.CachedInputTokens;
                var output = t.OutputTokens + t.ReasoningTokens;
                json.WriteStartObject("usage"u8);
                json.WriteNumber("input_tokens"u8, input);
                json.WriteNumber("output_tokens"u8, output);
                json.WriteNumber("total_tokens"u8, input + output);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
