using System.Text;
using Tollgate.Catalog;
using Tollgate.Gateway.Endpoints.Media;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway.Endpoints.Images;

/// <summary>
/// <c>POST /v1/images/edits</c> (OpenAI Images, <c>multipart/form-data</c>): one or more <c>image</c>
/// (or <c>image[]</c>) files, <c>prompt</c>, an optional <c>mask</c>, <c>n</c>, <c>size</c>,
/// <c>quality</c>; the upload is bounded by <c>Tollgate:Gateway:MaxUploadBytes</c> (413). Billed as
/// <see cref="ImagePricing"/> says, each input image counted in a token bound. A Gemini image model
/// (AI Studio, Vertex) gets the images as <c>inlineData</c> parts through <see cref="GeminiImages"/>.
/// </summary>
internal sealed class ImageEditsEndpoint(Translation.ChatFormats formats, TimeProvider time) : IGatewayEndpoint
{
    /// <inheritdoc />
    public string Name => "images.edits";

    /// <inheritdoc />
    public string ModelKind => ModelKinds.Image;

    /// <inheritdoc />
    public ErrorFormat Errors => OpenAIErrorFormat.Instance;

    /// <inheritdoc />
    public Task<(byte[]? Bytes, GatewayError? Error)> ReadBodyAsync(HttpRequest http, GatewayOptions options, CancellationToken cancellationToken) =>
        MediaInput.ReadUploadAsync(http, options, cancellationToken);

    /// <inheritdoc />
    public (IGatewayRequest? Request, GatewayError? Error) Parse(byte[] body, HttpRequest http)
    {
        var (form, error) = MultipartForm.Parse(body, http.ContentType);
        if (form is null)
        {
            return (null, error);
        }

        if (form.Field("model") is not { Length: > 0 } model)
        {
            return (null, MediaInput.Missing("model", "the image model"));
        }

        if (form.Field("prompt") is not { Length: > 0 } prompt)
        {
            return (null, MediaInput.Missing("prompt", "what to change in the image"));
        }

        var images = form.Parts.Count(p => p.Name is "image" or "image[]" && p.FileName is not null && !p.Data.IsEmpty);
        if (images == 0)
        {
            return (null, MediaInput.Missing("image", "the image to edit, as a non-empty file part"));
        }

        var (n, nError) = MediaInput.FormInteger(form, "n", 1, ImagePricing.MaxImages);
        var size = form.Field("size");
        var quality = form.Field("quality");
        if ((nError ?? ImagePricing.Validate(size, quality)) is { } first)
        {
            return (null, first);
        }

        var count = n ?? 1;
        var promptBytes = Encoding.UTF8.GetByteCount(prompt);
        return (new MediaRequest(model, candidate => GeminiImages.Serves(candidate)
            ? GeminiImages.Bound(candidate, count, size, promptBytes, images)
            : ImagePricing.Bound(candidate, count, size, quality, promptBytes, images))
        {
            Form = form,
            Detail = $"{size}|{quality}",
        }, null);
    }

    /// <inheritdoc />
    public IUpstreamExchange? ExchangeFor(RouteCandidate candidate, IGatewayRequest request)
    {
        var media = (MediaRequest)request;
        if (GeminiImages.Serves(candidate) && formats.ForProvider(candidate) is { } gemini)
        {
            // The images to edit, in order; a mask has no Gemini counterpart (the prompt says what to change).
            var images = media.Form!.Parts
                .Where(p => p.Name is "image" or "image[]" && p.FileName is not null && !p.Data.IsEmpty)
                .Select(p => (p.ContentType ?? "image/png", p.Data))
                .ToList();
            return new GeminiImageExchange(gemini.Adapter, media.Form.Field("prompt")!, images, ImageGenerationsEndpoint.SizeOf(media), time.GetUtcNow());
        }

        return MediaExchange.Serves(candidate) ? ImageGenerationsEndpoint.Exchange(candidate, media, "/images/edits") : null;
    }
}
