using System.Buffers;
using System.Text.Json;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Streaming;
using Tollgate.Providers.OpenAI;

namespace Tollgate.Gateway.Endpoints.ChatCompletions;

/// <summary>
/// Chat Completions to an OpenAI-compatible provider: the client's bytes go upstream with the
/// gateway's edits (<see cref="ChatRequest.ToUpstreamBody"/>), and the answer comes back as the
/// provider sent it, except that it names the model the client asked for, and a usage chunk the
/// gateway requested for itself is not forwarded to a client that did not ask for it.
/// </summary>
internal sealed class ChatPassthrough(ChatRequest request) : IUpstreamExchange
{
    /// <summary>The end of an OpenAI stream.</summary>
    public static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    private readonly byte[] _model = JsonSerializer.SerializeToUtf8Bytes(request.ModelName);

    private readonly UsageMeter _meter = new();

    /// <inheritdoc />
    public Catalog.TokenUsage? StreamUsage => _meter.Usage;

    /// <inheritdoc />
    public long StreamContentBytes => _meter.ContentBytes;

    /// <inheritdoc />
    public ReadOnlyMemory<byte> StreamCompletion => Done;

    /// <inheritdoc />
    public GatewayError? StreamFailure => null;

    /// <inheritdoc />
    public byte[] StreamFailureEvents(GatewayError error) => ChatCompletionsEndpoint.StreamFailure(error);

    /// <inheritdoc />
    public ValueTask<HttpRequestMessage> CreateRequestAsync(RouteCandidate candidate, long? clampedMaxOutputTokens, CancellationToken cancellationToken) =>
        ValueTask.FromResult(
        OpenAICompatibleProvider.CreateRequest(candidate.Endpoint, "/chat/completions",
            request.ToUpstreamBody(candidate.Mapping.ProviderModelId, candidate.Endpoint.PrefersMaxCompletionTokens, clampedMaxOutputTokens)));

    /// <inheritdoc />
    public UpstreamAnswer ReadAnswer(byte[] upstreamBody)
    {
        var info = OpenAIUsageReader.Inspect(upstreamBody);
        var body = NamesAskedModel(upstreamBody, info) ? upstreamBody : Splice(upstreamBody, 0, info);
        return new UpstreamAnswer(body, info.HasUsage ? info.Usage : null, info.ContentBytes);
    }

    /// <inheritdoc />
    public byte[] ReadError(int status, byte[] upstreamBody) =>
        IsOpenAIError(upstreamBody)
            ? upstreamBody
            : OpenAIErrorFormat.Instance.ToJson(GatewayError.Upstream(status, "upstream_error",
                $"The provider answered HTTP {status}: {System.Text.Encoding.UTF8.GetString(upstreamBody.AsSpan(0, Math.Min(upstreamBody.Length, 2048)))}"));

    /// <inheritdoc />
    public bool OnEvent(ReadOnlyMemory<byte> ev, IBufferWriter<byte> output)
    {
        var span = ev.Span;
        var (dataStart, dataLength) = SseEvents.DataRange(span);
        var data = span.Slice(dataStart, dataLength);
        if (data.SequenceEqual("[DONE]"u8))
        {
            return true;
        }

        var info = OpenAIUsageReader.Inspect(data);
        _meter.ContentBytes += info.ContentBytes;
        if (info.HasUsage)
        {
            _meter.Usage = info.Usage;
            if (info.ChoicesEmpty && !request.ClientWantsUsage)
            {
                return false; // the usage chunk the gateway asked for, not the client
            }
        }

        if (info.ModelLength == 0 || NamesAskedModel(data, info))
        {
            output.Write(span);
        }
        else
        {
            output.Write(span[..(dataStart + info.ModelStart)]);
            output.Write(_model);
            output.Write(span[(dataStart + info.ModelStart + info.ModelLength)..]);
        }

        return false;
    }

    private bool NamesAskedModel(ReadOnlySpan<byte> json, OpenAIChunkInfo info) =>
        info.ModelLength == 0 || json.Slice(info.ModelStart, info.ModelLength).SequenceEqual(_model);

    private byte[] Splice(byte[] json, int offset, OpenAIChunkInfo info) =>
        [.. json.AsSpan(0, offset + info.ModelStart), .. _model, .. json.AsSpan(offset + info.ModelStart + info.ModelLength)];

    private static bool IsOpenAIError(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isError = reader.ValueTextEquals("error"u8);
                reader.Read();
                if (isError && reader.TokenType == JsonTokenType.StartObject)
                {
                    return true;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // not JSON: wrapped by the caller
        }

        return false;
    }
}
