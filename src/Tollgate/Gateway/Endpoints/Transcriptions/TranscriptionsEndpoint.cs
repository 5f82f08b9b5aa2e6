using Tollgate.Catalog;
using Tollgate.Gateway.Endpoints.Media;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway.Endpoints.Transcriptions;

/// <summary>
/// <c>POST /v1/audio/transcriptions</c> (OpenAI, <c>multipart/form-data</c>: <c>file</c>, <c>model</c>,
/// <c>response_format</c> json, text, verbose_json, srt or vtt, and the other fields passed through).
/// The upload is bounded by <c>Tollgate:Gateway:MaxUploadBytes</c> (413). With <c>stream=true</c> the
/// provider's transcript events are relayed as they arrive (<see cref="TranscriptionStreamExchange"/>).
/// <para>Billed per audio minute (<c>perAudioMinute</c>) or, for a model priced only by token, per
/// token. Bound: the duration from the file's container header (<see cref="AudioDuration"/>), else
/// one second per 2,000 bytes; a token-priced model is bounded by 50 input tokens per second of that
/// duration plus its maximum output. Actual: <c>usage.seconds</c> or <c>duration</c> (verbose_json)
/// for minutes, <c>usage.input_tokens</c>/<c>output_tokens</c> for tokens; an answer that reports
/// neither (text, srt, vtt) is charged the bound, marked estimated.</para>
/// </summary>
internal sealed class TranscriptionsEndpoint : IGatewayEndpoint
{
    /// <summary>Audio tokens per second assumed by the bound of a token-priced model (providers count about 10).</summary>
    public const long BoundTokensPerSecond = 50;

    private const long DefaultMaxOutputTokens = 16_384;

    private static readonly string[] Formats = ["json", "text", "verbose_json", "srt", "vtt", "diarized_json"];

    /// <inheritdoc />
    public string Name => "audio.transcriptions";

    /// <inheritdoc />
    public string ModelKind => ModelKinds.Transcription;

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
            return (null, MediaInput.Missing("model", "the model to transcribe with"));
        }

        if (form.Get("file") is not { FileName: not null } file || file.Data.IsEmpty)
        {
            return (null, MediaInput.Missing("file", "the audio file to transcribe, as a non-empty file part"));
        }

        var format = form.Field("response_format") ?? "json";
        if (!Formats.Contains(format, StringComparer.Ordinal))
        {
            return (null, GatewayError.BadRequest("invalid_value", $"'response_format' must be one of {string.Join(", ", Formats)}.", "response_format"));
        }

        // stream=true: the provider's transcript events are relayed as they come (a provider or model
        // that cannot stream answers with its own error, passed through).
        var stream = string.Equals(form.Field("stream")?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
        var seconds = AudioDuration.TryRead(file.Data.Span) ?? AudioDuration.SizeBoundSeconds(file.Data.Length);
        return (new MediaRequest(model, candidate => (Bound(candidate, seconds), null)) { Form = form, Detail = format, Stream = stream }, null);
    }

    /// <inheritdoc />
    public IUpstreamExchange? ExchangeFor(RouteCandidate candidate, IGatewayRequest request)
    {
        if (!MediaExchange.Serves(candidate))
        {
            return null;
        }

        var media = (MediaRequest)request;
        if (media.Stream)
        {
            return new TranscriptionStreamExchange(media, candidate.Price);
        }

        var json = media.Detail is "json" or "verbose_json" or "diarized_json";
        return new MediaExchange(media, "/audio/transcriptions", body => ReadAnswer(body, json, candidate.Price));
    }

    private static UnitUsage Bound(RouteCandidate candidate, decimal seconds) =>
        candidate.Price.PerAudioMinute is not null
            ? new UnitUsage { AudioSeconds = seconds }
            : new UnitUsage
            {
                Tokens = new Catalog.TokenUsage((long)Math.Ceiling(seconds) * BoundTokensPerSecond, 0, 0, candidate.Model.MaxOutputTokens ?? DefaultMaxOutputTokens, 0),
            };

    private static UpstreamAnswer ReadAnswer(byte[] body, bool json, ModelPrice price)
    {
        if (!json || MediaExchange.Root(body) is not { } root)
        {
            return new UpstreamAnswer(body, null, body.Length, null, json ? null : "text/plain; charset=utf-8");
        }

        UnitUsage? units = null;
        var usage = root.TryGetProperty("usage", out var u) ? u : default;
        var seconds = MediaExchange.Decimal(usage, "seconds") ?? MediaExchange.Decimal(root, "duration");
        if (price.PerAudioMinute is not null && seconds is { } s)
        {
            units = new UnitUsage { AudioSeconds = s };
        }
        else if (price.PerAudioMinute is null && MediaExchange.Long(usage, "input_tokens") is { } input)
        {
            units = new UnitUsage { Tokens = new Catalog.TokenUsage(input, 0, 0, MediaExchange.Long(usage, "output_tokens") ?? 0, 0) };
        }

        return new UpstreamAnswer(body, null, body.Length, units);
    }
}
