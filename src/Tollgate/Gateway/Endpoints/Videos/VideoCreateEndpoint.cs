using System.Globalization;
using System.Text.Json.Nodes;
using Tollgate.Catalog;
using Tollgate.Gateway.Endpoints.Media;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;
using Tollgate.Hosting;

namespace Tollgate.Gateway.Endpoints.Videos;

/// <summary>
/// <c>POST /v1/videos</c> (OpenAI Videos): a JSON body or a multipart form (with an
/// <c>input_reference</c> image) of <c>model</c>, <c>prompt</c>, <c>seconds</c> and <c>size</c>. Admitted
/// like every unit-billed request, with seconds × the size's per-second price as the bound; when the
/// provider accepts the job, that reservation is kept as a durable hold with the job's row
/// (<see cref="DeferredCharge"/>) and the charge is made once, when the job ends (<see cref="VideoJobs"/>).
/// The client gets the provider's video object with the gateway's own job id.
/// </summary>
internal sealed class VideoCreateEndpoint(TimeProvider time) : IGatewayEndpoint
{
    /// <summary>The clip lengths the OpenAI Videos API offers, in seconds; anything else is a 400, never billed.</summary>
    public static readonly int[] AllowedSeconds = [4, 8, 12, 16, 20];

    /// <summary>OpenAI's defaults when the request leaves them out.</summary>
    public const string DefaultModel = "sora-2", DefaultSeconds = "4", DefaultSize = "720x1280";

    /// <inheritdoc />
    public string Name => "videos";

    /// <inheritdoc />
    public string ModelKind => ModelKinds.Video;

    /// <inheritdoc />
    public ErrorFormat Errors => OpenAIErrorFormat.Instance;

    /// <inheritdoc />
    public Task<(byte[]? Bytes, GatewayError? Error)> ReadBodyAsync(HttpRequest http, GatewayOptions options, CancellationToken cancellationToken) =>
        http.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true
            ? MediaInput.ReadUploadAsync(http, options, cancellationToken)
            : RequestBodyReader.ReadBodyAsync(http, options.MaxRequestBytes, cancellationToken);

    /// <inheritdoc />
    public (IGatewayRequest? Request, GatewayError? Error) Parse(byte[] body, HttpRequest http)
    {
        string? model, prompt, seconds, size;
        JsonObject? json = null;
        MultipartForm? form = null;
        if (http.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true)
        {
            (form, var formError) = MultipartForm.Parse(body, http.ContentType);
            if (form is null)
            {
                return (null, formError);
            }

            (model, prompt, seconds, size) = (form.Field("model"), form.Field("prompt"), form.Field("seconds"), form.Field("size"));
        }
        else
        {
            (json, var jsonError) = MediaInput.Json(body);
            if (json is null)
            {
                return (null, jsonError);
            }

            // seconds is a string on the wire ("8"); a number is taken too.
            string? Text(string name) => json[name] is JsonValue value
                ? value.TryGetValue<string>(out var s) ? s : value.TryGetValue<long>(out var n) ? n.ToString(CultureInfo.InvariantCulture) : null
                : null;
            (model, prompt, seconds, size) = (Text("model"), Text("prompt"), Text("seconds"), Text("size"));
        }

        if (string.IsNullOrWhiteSpace(prompt))
        {
            return (null, MediaInput.Missing("prompt", "the text that describes the video"));
        }

        seconds = string.IsNullOrEmpty(seconds) ? DefaultSeconds : seconds.Trim();
        if (!int.TryParse(seconds, NumberStyles.None, CultureInfo.InvariantCulture, out var clip) || !AllowedSeconds.Contains(clip))
        {
            return (null, GatewayError.BadRequest("invalid_value",
                $"'seconds' must be one of {string.Join(", ", AllowedSeconds)} (got '{seconds}').", "seconds"));
        }

        size = string.IsNullOrEmpty(size) ? DefaultSize : size.Trim();
        var detail = $"{clip}|{size}";
        var request = new MediaRequest(string.IsNullOrEmpty(model) ? DefaultModel : model, candidate => Bound(candidate, clip, size))
        {
            Json = json,
            Form = form,
            Detail = detail,
        };
        return (request, null);
    }

    /// <summary>
    /// The worst case of a clip at <paramref name="candidate"/>: its seconds at the size's per-second price;
    /// a size the mapping has no price for is a 400 naming the sizes it has.
    /// </summary>
    public static (UnitUsage? Bound, GatewayError? Error) Bound(RouteCandidate candidate, int seconds, string size)
    {
        var price = candidate.Price;
        if (price.VideoVariants.Count > 0 && !price.VideoVariants.ContainsKey(size))
        {
            return (null, GatewayError.BadRequest("invalid_value",
                $"'size' {size} is not offered for model '{candidate.Model.Id}'; sizes: {string.Join(", ", price.VideoVariants.Keys.Order(StringComparer.Ordinal))}.", "size"));
        }

        return (new UnitUsage { VideoSeconds = seconds, VideoVariant = price.VideoVariants.Count > 0 ? size : null }, null);
    }

    /// <inheritdoc />
    public IUpstreamExchange? ExchangeFor(RouteCandidate candidate, IGatewayRequest request)
    {
        if (!MediaExchange.Serves(candidate))
        {
            return null;
        }

        var media = (MediaRequest)request;
        var detail = media.Detail!.Split('|');
        return new MediaExchange(media, "/videos", body => ReadCreated(body, candidate, int.Parse(detail[0], CultureInfo.InvariantCulture), detail[1]));
    }

    /// <summary>
    /// The provider's new video object: its id replaced by the gateway's job id, and the job's row to be
    /// written with the durable hold. An answer without an id cannot be followed: a 502, charged at the bound.
    /// </summary>
    private UpstreamAnswer ReadCreated(byte[] body, RouteCandidate candidate, int seconds, string size)
    {
        JsonObject? video;
        try
        {
            video = JsonNode.Parse(body) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            video = null;
        }

        if (video?["id"] is not JsonValue idValue || !idValue.TryGetValue<string>(out var providerJobId) || providerJobId.Length == 0)
        {
            return new UpstreamAnswer(body, null, body.Length)
            {
                Failure = GatewayError.Upstream(StatusCodes.Status502BadGateway, "upstream_invalid_answer",
                    $"The provider '{candidate.Endpoint.Name}' accepted the video but its answer has no video id."),
            };
        }

        var jobId = Ids.New("video", time);
        video["id"] = jobId;
        var perSecond = candidate.Price.VideoSecondPrice(candidate.Price.VideoVariants.Count > 0 ? size : null) ?? 0m;
        var objectJson = video.ToJsonString();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var deferred = new DeferredCharge(jobId, (connection, tx, start) => VideoJobStore.InsertAsync(connection, tx, new VideoJob
        {
            Id = jobId,
            OrgId = start.Identity.OrgId,
            ProjectId = start.Identity.ProjectId,
            MemberId = start.Identity.MemberId,
            KeyId = start.Identity.KeyId,
            RequestId = start.RequestId,
            Attempt = start.Attempt,
            Model = start.Candidate.Model.Id,
            Provider = start.Candidate.Endpoint.Name,
            ProviderModel = start.Candidate.Mapping.ProviderModelId,
            ProviderJobId = providerJobId,
            Credential = start.Candidate.Endpoint.Source == Providers.CredentialSource.Org ? Budgets.LedgerEntry.OrgCredential : Budgets.LedgerEntry.ServerCredential,
            HoldPico = start.Hold.AmountPico,
            CreditsOrgId = start.Hold.CreditsOrgId,
            Seconds = seconds.ToString(CultureInfo.InvariantCulture),
            Size = size,
            PricePerSecond = perSecond.ToString(CultureInfo.InvariantCulture),
            State = VideoJob.OpenStateOf(video),
            ObjectJson = objectJson,
            CreatedAt = now,
            UpdatedAt = now,
        }));
        return new UpstreamAnswer(System.Text.Encoding.UTF8.GetBytes(objectJson), null, 0) { Deferred = deferred };
    }
}
