using System.Buffers;
using Tollgate.Catalog;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Streaming;
using Tollgate.Providers;

namespace Tollgate.Gateway.Translation;

/// <summary>
/// One attempt where the client's format and the provider's differ: the request goes client format →
/// <see cref="ChatTurn"/> → provider format, the answer provider format → internal form → client
/// format, and a stream event by event through the provider's decoder and the client's encoder. The
/// end of a stream is held back and written by the client's encoder with the usage that is charged.
/// </summary>
internal sealed class TranslatingExchange : IUpstreamExchange
{
    private readonly ChatTurn _turn;
    private readonly IChatWireFormat _client;
    private readonly ProviderChatFormat _provider;
    private readonly ErrorFormat _clientErrors;
    private readonly Func<GatewayError, byte[]> _terminalEvents;
    private readonly IStreamDecoder _decoder;
    private readonly IStreamEncoder _encoder;
    private readonly List<StreamEvent> _events = new(4);
    private StreamFinished? _finish;
    private byte[] _completion = [];
    private int _streamedImages;

    private TranslatingExchange(GatewayError refused, Func<GatewayError, byte[]> terminalEvents)
    {
        RequestError = refused;
        _terminalEvents = terminalEvents;
        _turn = null!;
        _client = null!;
        _provider = null!;
        _clientErrors = null!;
        _decoder = null!;
        _encoder = null!;
    }

    /// <summary>Prepares the exchange; <see cref="RequestError"/> says when the provider's format cannot express the request.</summary>
    public TranslatingExchange(
        ChatTurn turn, IChatWireFormat client, ProviderChatFormat provider, ErrorFormat clientErrors, Func<GatewayError, byte[]> terminalEvents)
    {
        _turn = turn;
        _client = client;
        _provider = provider;
        _clientErrors = clientErrors;
        _terminalEvents = terminalEvents;
        _decoder = provider.Format.CreateDecoder();
        _encoder = client.CreateEncoder(turn.Model, turn);
        RequestError = provider.ImageOutput && !client.CarriesImageOutput
            ? GatewayError.BadRequest("unsupported_feature",
                $"The model '{turn.Model}' may answer with images, which this API's answers cannot carry; use /v1/chat/completions or /v1/responses for it.", "model")
            : provider.Format.WriteRequest(turn, turn.Model, turn.MaxOutputTokens ?? 1).Error;
    }

    /// <summary>An exchange that cannot run: the client's request itself cannot be translated.</summary>
    public static TranslatingExchange Refused(GatewayError error, Func<GatewayError, byte[]> terminalEvents) => new(error, terminalEvents);

    /// <summary>Why the provider's format cannot carry this request (a 400 naming the feature), or null.</summary>
    public GatewayError? RequestError { get; }

    /// <summary>The client's answer as written: the whole JSON answer, or a stream's held-back final events.</summary>
    public byte[]? ClientAnswer { get; private set; }

    /// <inheritdoc />
    public TokenUsage? StreamUsage => _decoder.Usage;

    /// <inheritdoc />
    public long StreamContentBytes => _decoder.ContentBytes;

    /// <inheritdoc />
    public ReadOnlyMemory<byte> StreamCompletion => _completion;

    /// <inheritdoc />
    public GatewayError? StreamFailure => _decoder.Failure;

    /// <summary>The images a stream carried so far, with the usage less their tokens (see <see cref="ImageUnits"/>); null when none.</summary>
    public UnitUsage? Units => ImageUnits(_streamedImages, _decoder.Usage, _decoder.ImageOutputTokens);

    /// <inheritdoc />
    public byte[] StreamFailureEvents(GatewayError error) => _terminalEvents(error);

    /// <inheritdoc />
    public ValueTask<HttpRequestMessage> CreateRequestAsync(RouteCandidate candidate, long? clampedMaxOutputTokens, CancellationToken cancellationToken)
    {
        // The pipeline's limit: the clamp, else the client's, else the model's maximum (Anthropic requires one).
        var limit = clampedMaxOutputTokens ?? _turn.MaxOutputTokens ?? candidate.Model.MaxOutputTokens ?? 4096;
        var (body, error) = _provider.Format.WriteRequest(_turn, candidate.Mapping.ProviderModelId, limit);
        if (body is null)
        {
            throw new InvalidOperationException($"The request was checked before admission, yet cannot be written: {error?.Message}");
        }

        return _provider.Adapter.CreateRequestAsync(candidate.Endpoint, candidate.Mapping.ProviderModelId, body, _turn.Stream, cancellationToken);
    }

    /// <inheritdoc />
    public IStreamFrameReader OpenStream(Stream body, int maxEventBytes) => _provider.Adapter.OpenStream(body, maxEventBytes);

    /// <inheritdoc />
    public UpstreamAnswer ReadAnswer(byte[] upstreamBody)
    {
        var result = _provider.Format.ReadResponse(upstreamBody);
        long content = 0;
        var images = 0;
        foreach (var part in result.Output)
        {
            content += part switch
            {
                TextPart text => System.Text.Encoding.UTF8.GetByteCount(text.Text),
                ToolCallPart call => System.Text.Encoding.UTF8.GetByteCount(call.ArgumentsJson),
                ThinkingPart thinking => System.Text.Encoding.UTF8.GetByteCount(thinking.Text),
                _ => 0,
            };
            images += part is ImagePart ? 1 : 0;
        }

        if (result.Failure is { } failure)
        {
            return new UpstreamAnswer([], result.Usage, content) { Failure = failure };
        }

        ClientAnswer = _client.WriteResponse(result, _turn.Model);
        return new UpstreamAnswer(ClientAnswer, result.Usage, content, ImageUnits(images, result.Usage, result.ImageOutputTokens));
    }

    /// <summary>
    /// What an answer holding <paramref name="images"/> images used, for a price that charges images per
    /// image: the images, and the usage less the output tokens the provider counted for them (the per-image
    /// price covers those). Null when the answer holds no image. The settlement uses it only where the
    /// catalog has a per-image price; a model priced by token alone is charged every reported token.
    /// </summary>
    private static UnitUsage? ImageUnits(int images, TokenUsage? usage, long imageTokens) => images == 0
        ? null
        : new UnitUsage
        {
            Images = images,
            Tokens = usage is { } u ? u with { OutputTokens = Math.Max(0, u.OutputTokens - imageTokens) } : null,
        };

    /// <inheritdoc />
    public byte[] ReadError(int status, byte[] upstreamBody) =>
        _clientErrors.ToJson(_provider.Format.ReadError(status, upstreamBody) ?? GatewayError.Upstream(status, "upstream_error",
            $"The provider answered HTTP {status}: {System.Text.Encoding.UTF8.GetString(upstreamBody.AsSpan(0, Math.Min(upstreamBody.Length, 2048)))}"));

    /// <inheritdoc />
    public (int Status, byte[] Body) ReadError(int status, byte[] upstreamBody, System.Net.Http.Headers.HttpResponseHeaders headers) =>
        _provider.Adapter.ReadError(status, upstreamBody, headers) is { } error
            ? (error.Status, _clientErrors.ToJson(error))
            : (status, ReadError(status, upstreamBody));

    /// <inheritdoc />
    public bool OnEvent(ReadOnlyMemory<byte> ev, IBufferWriter<byte> output)
    {
        _events.Clear();
        _decoder.Decode(ev.Span, _events);
        foreach (var e in _events)
        {
            _streamedImages += e is ImageGenerated ? 1 : 0;
            if (e is StreamFinished finish)
            {
                _finish = finish; // written with the completion, once the charge is durable
            }
            else
            {
                _encoder.Encode(e, output);
            }
        }

        if (!_decoder.Completed)
        {
            return false;
        }

        var final = _finish ?? new StreamFinished(StopReason.EndTurn, null, null);
        _completion = _encoder.Complete(final with { Usage = _decoder.Usage ?? final.Usage });
        ClientAnswer = _completion;
        return true;
    }
}

/// <summary>A provider protocol as a chat wire format plus how its requests are sent.</summary>
/// <param name="Format">The provider's wire format.</param>
/// <param name="Adapter">Sends a body in that format to the provider (URL, authentication, stream framing).</param>
/// <param name="ImageOutput">The answers may hold images the model made (an image model reached through chat).</param>
internal sealed record ProviderChatFormat(IProviderWireFormat Format, IChatProviderAdapter Adapter, bool ImageOutput = false);
