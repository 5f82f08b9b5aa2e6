using System.Text;
using Tollgate.Budgets;
using Tollgate.Catalog;
using Tollgate.Gateway.Endpoints.Media;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway.Endpoints.Speech;

/// <summary>
/// <c>POST /v1/audio/speech</c> (OpenAI text to speech): JSON in, binary audio out, relayed to the
/// client as it arrives (chunked), never held whole.
/// <para>Billed per character of <c>input</c> (Unicode scalar values) where the catalog sets
/// <c>speechPerMillionCharacters</c>: the bound and the actual are the same count, known before the
/// request goes upstream. A model priced by token instead is bounded by the input's UTF-8 bytes plus
/// its maximum output tokens and, as its answer is audio with no usage, charged that bound (estimated).</para>
/// </summary>
internal sealed class SpeechEndpoint : IGatewayEndpoint
{
    /// <summary>The longest <c>input</c> (OpenAI's limit, in characters).</summary>
    public const int MaxInputCharacters = 4096;

    /// <summary>Output tokens of a token-priced speech model the catalog gives no maximum for.</summary>
    private const long DefaultMaxAudioTokens = 16_384;

    /// <inheritdoc />
    public string Name => "audio.speech";

    /// <inheritdoc />
    public string ModelKind => ModelKinds.Speech;

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
        var (input, inputError) = MediaInput.RequiredString(json, "input");
        var (voice, voiceError) = json["voice"] is System.Text.Json.Nodes.JsonObject ? ("custom", null) : MediaInput.RequiredString(json, "voice");
        if ((modelError ?? inputError ?? voiceError) is { } first)
        {
            return (null, first);
        }

        var characters = input!.EnumerateRunes().Count();
        if (characters > MaxInputCharacters)
        {
            return (null, GatewayError.BadRequest("invalid_value", $"'input' has {characters} characters, more than the limit of {MaxInputCharacters}.", "input"));
        }

        var (format, formatError) = MediaInput.OptionalString(json, "response_format");
        if (formatError is not null || format is not (null or "mp3" or "opus" or "aac" or "flac" or "wav" or "pcm"))
        {
            return (null, formatError ?? GatewayError.BadRequest("invalid_value", "'response_format' must be one of mp3, opus, aac, flac, wav, pcm.", "response_format"));
        }

        var inputBytes = Encoding.UTF8.GetByteCount(input);
        _ = voice;
        return (new MediaRequest(model!, candidate => (Bound(candidate, characters, inputBytes), null)) { Json = json }, null);
    }

    /// <inheritdoc />
    public IUpstreamExchange? ExchangeFor(RouteCandidate candidate, IGatewayRequest request)
    {
        if (!MediaExchange.Serves(candidate))
        {
            return null;
        }

        var media = (MediaRequest)request;
        var bound = media.BoundFor(candidate).Bound!;

        // Characters are the actual as much as the bound: the provider bills exactly what was sent.
        return new MediaExchange(media, "/audio/speech", body => new UpstreamAnswer(body, null, body.Length))
        {
            RelaysBody = true,
            Units = bound.Characters > 0 ? bound : null,
        };
    }

    private static UnitUsage Bound(RouteCandidate candidate, long characters, long inputBytes) =>
        candidate.Price.SpeechPerMillionCharacters is not null
            ? new UnitUsage { Characters = characters }
            : new UnitUsage
            {
                Tokens = new TokenUsage(CostEstimator.InputTokenBound(inputBytes), 0, 0, candidate.Model.MaxOutputTokens ?? DefaultMaxAudioTokens, 0),
            };
}
