using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Tollgate.Catalog;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway.Endpoints.Media;

/// <summary>
/// A validated request of a unit-billed endpoint (embeddings, speech, transcription, images, OCR): its
/// body as the client sent it (JSON or a multipart form), and how its worst case is bounded at a candidate.
/// </summary>
internal sealed class MediaRequest(string model, Func<RouteCandidate, (UnitUsage? Bound, GatewayError? Error)> bound) : IUnitRequest
{
    /// <inheritdoc />
    public string ModelName => model;

    /// <inheritdoc />
    public bool Stream { get; init; }

    /// <inheritdoc />
    public long? MaxOutputTokens => null;

    /// <inheritdoc />
    public string MaxOutputField => "";

    /// <inheritdoc />
    public int Answers => 1;

    /// <summary>The JSON body, for a JSON endpoint.</summary>
    public JsonObject? Json { get; init; }

    /// <summary>The form, for an upload endpoint.</summary>
    public MultipartForm? Form { get; init; }

    /// <summary>Endpoint-specific facts read at parse time (e.g. the transcription's response format).</summary>
    public string? Detail { get; init; }

    /// <inheritdoc />
    public (UnitUsage? Bound, GatewayError? Error) BoundFor(RouteCandidate candidate) => bound(candidate);

    /// <summary>The body sent upstream: the client's, with <c>model</c> set to the provider's id.</summary>
    public HttpContent ContentFor(RouteCandidate candidate)
    {
        if (Form is not null)
        {
            return Form.ToContent(new Dictionary<string, string> { ["model"] = candidate.Mapping.ProviderModelId });
        }

        var body = (JsonObject)Json!.DeepClone();
        body["model"] = candidate.Mapping.ProviderModelId;
        var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}
