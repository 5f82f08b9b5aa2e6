using System.Buffers;
using System.Text;
using System.Text.Json;
using Tollgate.Catalog;
using Tollgate.Gateway.Endpoints.Media;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Streaming;

namespace Tollgate.Gateway.Endpoints.Transcriptions;

/// <summary>
/// A transcription with <c>stream=true</c> at an OpenAI-compatible provider: the upload goes up as it
/// came, and the provider's server-sent events — <c>transcript.text.delta</c> (<c>delta</c>) and, last,
/// <c>transcript.text.done</c> (<c>text</c> and <c>usage</c>) — are relayed as they arrive. The usage of
/// the done event is the actual: tokens for a token-priced model, <c>seconds</c> for one priced per
/// minute; a stream that ends without one is charged the bound, marked estimated. An <c>error</c>
/// event ends the stream with the endpoint's terminal error.
/// </summary>
internal sealed class TranscriptionStreamExchange(MediaRequest request, ModelPrice price) : IUpstreamExchange
{
    private readonly MediaExchange _upload = new(request, "/audio/transcriptions", _ => default);
    private long _contentBytes;

    /// <inheritdoc />
    /// <remarks>Null: what the done event reports is read into <see cref="Units"/>, in the unit the model is priced in.</remarks>
    public TokenUsage? StreamUsage => null;

    /// <inheritdoc />
    public UnitUsage? Units { get; private set; }

    /// <inheritdoc />
    public long StreamContentBytes => _contentBytes;

    /// <inheritdoc />
    public ReadOnlyMemory<byte> StreamCompletion => default;

    /// <inheritdoc />
    public GatewayError? StreamFailure { get; private set; }

    /// <inheritdoc />
    public ValueTask<HttpRequestMessage> CreateRequestAsync(RouteCandidate candidate, long? clampedMaxOutputTokens, CancellationToken cancellationToken) =>
        _upload.CreateRequestAsync(candidate, clampedMaxOutputTokens, cancellationToken);

    /// <inheritdoc />
    public UpstreamAnswer ReadAnswer(byte[] upstreamBody) => new(upstreamBody, null, upstreamBody.Length);

    /// <inheritdoc />
    public byte[] ReadError(int status, byte[] upstreamBody) => _upload.ReadError(status, upstreamBody);

    /// <inheritdoc />
    public bool OnEvent(ReadOnlyMemory<byte> ev, IBufferWriter<byte> output)
    {
        var data = SseEvents.Data(ev.Span);
        if (data.IsEmpty)
        {
            return false; // a comment or keepalive: nothing to relay
        }

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(data.ToArray());
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            StreamFailure = GatewayError.Upstream(StatusCodes.Status502BadGateway, "upstream_invalid_event", "The provider sent a transcription event that is not JSON.");
            return false;
        }

        var type = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (type == "error" || (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out _) && type is null))
        {
            var message = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object && e.TryGetProperty("message", out var m) ? m.GetString() : null;
            StreamFailure = GatewayError.Upstream(StatusCodes.Status502BadGateway, "upstream_error", $"The provider failed the transcription: {message ?? "no message"}");
            return false;
        }

        output.Write("data: "u8);
        output.Write(data);
        output.Write("\n\n"u8);
        if (type == "transcript.text.delta" && root.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.String)
        {
            _contentBytes += Encoding.UTF8.GetByteCount(delta.GetString()!);
        }

        if (type != "transcript.text.done")
        {
            return false;
        }

        var usage = root.TryGetProperty("usage", out var u) ? u : default;
        if (price.PerAudioMinute is null && MediaExchange.Long(usage, "input_tokens") is { } input)
        {
            Units = new UnitUsage { Tokens = new TokenUsage(input, 0, 0, MediaExchange.Long(usage, "output_tokens") ?? 0, 0) };
        }
        else if (price.PerAudioMinute is not null && MediaExchange.Decimal(usage, "seconds") is { } seconds)
        {
            Units = new UnitUsage { AudioSeconds = seconds };
        }

        return true;
    }

    /// <inheritdoc />
    public byte[] StreamFailureEvents(GatewayError error) =>
        Encoding.UTF8.GetBytes("data: " + Encoding.UTF8.GetString(OpenAIErrorFormat.Instance.ToJson(error)) + "\n\n");
}
