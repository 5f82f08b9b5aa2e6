using System.Text.Json;
using System.Text.Json.Nodes;
using Tollgate.Catalog;
using Tollgate.Gateway.Endpoints.Media;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway.Endpoints.Ocr;

/// <summary>
/// <c>POST /v1/ocr</c> in Mistral's OCR wire format: <c>document</c> as
/// <c>{"type":"document_url","document_url":...}</c> (a URL or a <c>data:</c> URL with base64),
/// <c>{"type":"image_url","image_url":...}</c> or <c>{"type":"file","file_id":...}</c>; <c>pages</c>
/// and the other fields passed through. Billed per page (<c>perOcrPage</c>).
/// <para>Bound: an image is one page; a base64 PDF its page count (read with PdfPig); the length of
/// <c>pages</c> when the client lists them (never above the document's count); anything that cannot
/// be counted (a URL, a stored file, a PDF that does not parse) <c>Tollgate:Gateway:OcrMaxPages</c>.
/// Actual: <c>usage_info.pages_processed</c>, else the number of <c>pages</c> in the answer.</para>
/// </summary>
internal sealed class OcrEndpoint(GatewayOptions options) : IGatewayEndpoint
{
    /// <inheritdoc />
    public string Name => "ocr";

    /// <inheritdoc />
    public string ModelKind => ModelKinds.Ocr;

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
        if (model is null)
        {
            return (null, modelError);
        }

        var (documentPages, documentError) = DocumentPages(json["document"]);
        if (documentError is not null)
        {
            return (null, documentError);
        }

        long pages = documentPages ?? options.OcrMaxPages;
        if (json["pages"] is { } listed)
        {
            if (listed is not JsonArray { Count: > 0 } list || list.Any(p => p is not JsonValue v || v.GetValueKind() != JsonValueKind.Number || !v.TryGetValue<long>(out var i) || i < 0))
            {
                return (null, GatewayError.BadRequest("invalid_value", "'pages' must be a non-empty array of page indexes (0-based).", "pages"));
            }

            pages = Math.Min(pages, list.Select(p => p!.GetValue<long>()).Distinct().LongCount());
        }

        var bound = new UnitUsage { Pages = Math.Max(1, pages) };
        return (new MediaRequest(model, _ => (bound, null)) { Json = json }, null);
    }

    /// <inheritdoc />
    public IUpstreamExchange? ExchangeFor(RouteCandidate candidate, IGatewayRequest request) =>
        MediaExchange.Serves(candidate) ? new MediaExchange((MediaRequest)request, "/ocr", ReadAnswer) : null;

    /// <summary>The pages of the document when they can be counted before it goes upstream (null when not), or the 400 for a bad document.</summary>
    private static (long? Pages, GatewayError? Error) DocumentPages(JsonNode? document)
    {
        if (document is not JsonObject doc)
        {
            return (null, GatewayError.BadRequest(document is null ? "missing_required_parameter" : "invalid_type",
                "'document' is required: an object with type document_url, image_url or file.", "document"));
        }

        var type = doc["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : null;
        switch (type)
        {
            case "image_url":
                var image = doc["image_url"] is JsonObject o ? o["url"] : doc["image_url"];
                return image is JsonValue iv && iv.GetValueKind() == JsonValueKind.String && iv.GetValue<string>().Length > 0
                    ? (1, null)
                    : (null, GatewayError.BadRequest("invalid_value", "'document.image_url' must be a URL or a data URL.", "document"));
            case "document_url":
                if (doc["document_url"] is not JsonValue dv || dv.GetValueKind() != JsonValueKind.String || dv.GetValue<string>() is not { Length: > 0 } url)
                {
                    return (null, GatewayError.BadRequest("invalid_value", "'document.document_url' must be a URL or a data URL.", "document"));
                }

                return DataUrlPdfPages(url);
            case "file":
                return (null, null);
            default:
                return (null, GatewayError.BadRequest("invalid_value", "'document.type' must be document_url, image_url or file.", "document"));
        }
    }

    /// <summary>The page count of a base64 PDF in a <c>data:</c> URL; null for a URL or a PDF that does not parse.</summary>
    private static (long? Pages, GatewayError? Error) DataUrlPdfPages(string url)
    {
        if (!url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            return (null, null);
        }

        var comma = url.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0 || !url.AsSpan(0, comma).EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
        {
            return (null, GatewayError.BadRequest("invalid_value", "'document.document_url' is a data URL without base64 content.", "document"));
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(url[(comma + 1)..]);
        }
        catch (FormatException)
        {
            return (null, GatewayError.BadRequest("invalid_value", "'document.document_url' has content that is not valid base64.", "document"));
        }

        if (!bytes.AsSpan().StartsWith("%PDF"u8))
        {
            return (1, null); // an image (or a one-page document) sent as a document
        }

        try
        {
            using var pdf = UglyToad.PdfPig.PdfDocument.Open(bytes);
            return (pdf.NumberOfPages, null);
        }
#pragma warning disable CA1031 // A PDF the reader cannot parse gets the configured bound, whatever the parser threw.
        catch (Exception)
#pragma warning restore CA1031
        {
            return (null, null);
        }
    }

    private static UpstreamAnswer ReadAnswer(byte[] body)
    {
        if (MediaExchange.Root(body) is not { } root)
        {
            return new UpstreamAnswer(body, null, body.Length);
        }

        var processed = root.TryGetProperty("usage_info", out var usage) ? MediaExchange.Long(usage, "pages_processed") : null;
        processed ??= root.TryGetProperty("pages", out var pages) && pages.ValueKind == JsonValueKind.Array ? pages.GetArrayLength() : null;
        return new UpstreamAnswer(body, null, body.Length, processed is { } n ? new UnitUsage { Pages = n } : null);
    }
}
