using System.Text;
using Tollgate.Catalog;
using Tollgate.Gateway.Endpoints.Media;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway.Endpoints.Images;

/// <summary>
/// <c>POST /v1/images/generations</c> (OpenAI Images): <c>prompt</c>, <c>n</c>, <c>size</c>,
/// <c>quality</c>, <c>response_format</c> (b64_json or url) and the rest passed through; billed as
/// <see cref="ImagePricing"/> says. A Gemini image model (AI Studio, Vertex) is reached through
/// <see cref="GeminiImages"/>.
/// </summary>
internal sealed class ImageGenerationsEndpoint(Translation.ChatFormats formats, TimeProvider time) : IGatewayEndpoint
{
    /// <inheritdoc />
    public string Name => "images.generations";

    /// <inheritdoc />
    public string ModelKind => ModelKinds.Image;

    /// <inheritdoc />
    public ErrorFormat Errors => OpenAIErrorFormat.Instance;

    /// <inheritdoc />
    public (IGatewayRequest? Request, GatewayError? Error) Parse(byte[] body, HttpRequest http)
    {
        var (json, error) = MediaInput.Json(body);
        if (json is null)
        {
            return (null, error);
        }

        var (model, modelError) = MediaInput.RequiredString(json, "model");
        var (prompt, promptError) = MediaInput.RequiredString(json, "prompt");
        var (n, nError) = MediaInput.OptionalInteger(json, "n", 1, ImagePricing.MaxImages);
        var (size, sizeError) = MediaInput.OptionalString(json, "size");
        var (quality, qualityError) = MediaInput.OptionalString(json, "quality");
        if ((modelError ?? promptError ?? nError ?? sizeError ?? qualityError ?? ImagePricing.Validate(size, quality)) is { } first)
        {
            return (null, first);
        }

        var count = n ?? 1;
        var promptBytes = Encoding.UTF8.GetByteCount(prompt!);
        return (new MediaRequest(model!, candidate => GeminiImages.Serves(candidate)
            ? GeminiImages.Bound(candidate, count, size, promptBytes, 0)
            : ImagePricing.Bound(candidate, count, size, quality, promptBytes, 0))
        {
            Json = json,
            Detail = $"{size}|{quality}",
        }, null);
    }

    /// <inheritdoc />
    public IUpstreamExchange? ExchangeFor(RouteCandidate candidate, IGatewayRequest request)
    {
        var media = (MediaRequest)request;
        if (GeminiImages.Serves(candidate) && formats.ForProvider(candidate) is { } gemini)
        {
            return new GeminiImageExchange(gemini.Adapter, media.Json!["prompt"]!.GetValue<string>(), [], SizeOf(media), time.GetUtcNow());
        }

        return MediaExchange.Serves(candidate) ? Exchange(candidate, media, "/images/generations") : null;
    }

    /// <summary>The request's size, as read at parse time.</summary>
    internal static string? SizeOf(MediaRequest request) => (request.Detail ?? "|").Split('|')[0] is { Length: > 0 } size ? size : null;

    /// <summary>The exchange of an image request, reading its answer with the request's size and quality.</summary>
    internal static MediaExchange Exchange(RouteCandidate candidate, MediaRequest request, string path)
    {
        var detail = (request.Detail ?? "|").Split('|');
        string? size = detail[0].Length == 0 ? null : detail[0], quality = detail[1].Length == 0 ? null : detail[1];
        return new MediaExchange(request, path, body => ImagePricing.ReadAnswer(body, candidate, size, quality));
    }
}
