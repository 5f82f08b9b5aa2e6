using System.Text.RegularExpressions;
using Tollgate.Budgets;
using Tollgate.Catalog;
using Tollgate.Gateway.Endpoints.Media;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway.Endpoints.Images;

/// <summary>
/// How an image request is bounded and charged, for generations and edits alike.
/// <para>Per image: <c>n</c> × the price of the request's <c>size/quality</c> variant
/// (<c>perImageVariants</c>, else <c>perImage</c>); without a quality (or <c>auto</c>), the dearest
/// variant of the size; without a size, the dearest variant. A size or quality the catalog lists no
/// price for is a 400. Per token (a model with token prices, when the provider reports usage): the
/// prompt's UTF-8 bytes plus <see cref="TokensPerImageBound"/> per input image, and that many output
/// tokens per image asked for. A model priced both ways is bounded by the dearer.</para>
/// </summary>
internal static partial class ImagePricing
{
    /// <summary>Tokens one image may take, in or out (the largest image of a token-priced model takes about 6,300).</summary>
    public const long TokensPerImageBound = 8_192;

    /// <summary>The most images one request may ask for (<c>n</c>).</summary>
    public const int MaxImages = 10;

    private static readonly string[] Qualities = ["auto", "low", "medium", "high", "standard", "hd"];

    /// <summary>The 400 for a size or quality that is not one the OpenAI Images API takes; null when both are.</summary>
    public static GatewayError? Validate(string? size, string? quality)
    {
        if (size is not null && size != "auto" && !SizePattern().IsMatch(size))
        {
            return GatewayError.BadRequest("invalid_value", $"'size' must be WIDTHxHEIGHT (e.g. 1024x1024) or auto (got '{size}').", "size");
        }

        return quality is not null && !Qualities.Contains(quality, StringComparer.Ordinal)
            ? GatewayError.BadRequest("invalid_value", $"'quality' must be one of {string.Join(", ", Qualities)} (got '{quality}').", "quality")
            : null;
    }

    /// <summary>The bound of a request for <paramref name="n"/> images at <paramref name="candidate"/>, or the 400 for an unpriced size/quality.</summary>
    public static (UnitUsage? Bound, GatewayError? Error) Bound(
        RouteCandidate candidate, long n, string? size, string? quality, long promptBytes, long inputImages)
    {
        var price = candidate.Price;
        UnitUsage? perImage = null;
        if (price.PerImage is not null || price.ImageVariants.Count > 0)
        {
            var (variant, error) = VariantForBound(price, size, quality);
            if (error is not null)
            {
                return (null, error);
            }

            perImage = new UnitUsage { Images = n, ImageVariant = variant };
        }

        UnitUsage? byToken = price.IsPricedForTokens
            ? new UnitUsage { Tokens = new TokenUsage(CostEstimator.InputTokenBound(promptBytes) + (inputImages * TokensPerImageBound), 0, 0, n * TokensPerImageBound, 0) }
            : null;
        if (perImage is null || byToken is null)
        {
            return (perImage ?? byToken ?? new UnitUsage { Images = n }, null);
        }

        return (UnitCost.Compute(price, perImage) >= UnitCost.Compute(price, byToken) ? perImage : byToken, null);
    }

    /// <summary>
    /// What the answer says was made: tokens when the provider reports usage and the model has token
    /// prices, else the images in <c>data</c> at the answer's size and quality (the request's when it
    /// does not say, or says one the catalog does not price).
    /// </summary>
    public static UpstreamAnswer ReadAnswer(byte[] body, RouteCandidate candidate, string? size, string? quality)
    {
        if (MediaExchange.Root(body) is not { } root)
        {
            return new UpstreamAnswer(body, null, body.Length);
        }

        var price = candidate.Price;
        if (price.IsPricedForTokens && root.TryGetProperty("usage", out var usage) && MediaExchange.Long(usage, "input_tokens") is { } input)
        {
            var output = MediaExchange.Long(usage, "output_tokens") ?? 0;
            return new UpstreamAnswer(body, null, body.Length, new UnitUsage { Tokens = new TokenUsage(input, 0, 0, output, 0) });
        }

        if (!root.TryGetProperty("data", out var data) || data.ValueKind != System.Text.Json.JsonValueKind.Array || data.GetArrayLength() == 0
            || (price.PerImage is null && price.ImageVariants.Count == 0))
        {
            return new UpstreamAnswer(body, null, body.Length);
        }

        var answered = Text(root, "size") ?? size;
        var answeredQuality = Text(root, "quality") ?? quality;
        var (variant, error) = VariantForBound(price, answered, answeredQuality);
        if (error is not null)
        {
            (variant, _) = VariantForBound(price, size, quality);
        }

        return new UpstreamAnswer(body, null, body.Length, new UnitUsage { Images = data.GetArrayLength(), ImageVariant = variant });
    }

    private static (string? Variant, GatewayError? Error) VariantForBound(ModelPrice price, string? size, string? quality)
    {
        if (price.ImageVariants.Count == 0)
        {
            return (null, null);
        }

        size = size == "auto" ? null : size;
        quality = quality == "auto" ? null : quality;
        if (size is not null && quality is not null)
        {
            var exact = $"{size}/{quality}";
            return price.ImagePrice(exact) is not null ? (exact, null) : (null, Unpriced(exact));
        }

        // Not said: the dearest variant the provider may pick, among those of the size or quality given.
        var keys = price.ImageVariants.Keys
            .Where(k => (size is null || k == size || k.StartsWith(size + "/", StringComparison.Ordinal))
                && (quality is null || k.EndsWith("/" + quality, StringComparison.Ordinal)))
            .ToList();
        return keys.Count == 0
            ? (null, Unpriced(size ?? quality ?? ""))
            : (keys.MaxBy(k => price.ImageVariants[k]), null);
    }

    private static GatewayError Unpriced(string variant) =>
        GatewayError.BadRequest("invalid_value", $"The image size/quality '{variant}' is not offered for this model.", "size");

    private static string? Text(System.Text.Json.JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == System.Text.Json.JsonValueKind.String ? value.GetString() : null;

    [GeneratedRegex(@"^[1-9][0-9]{1,4}x[1-9][0-9]{1,4}$", RegexOptions.CultureInvariant)]
    private static partial Regex SizePattern();
}
