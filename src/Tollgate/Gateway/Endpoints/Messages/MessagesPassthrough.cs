using System.Buffers;
using System.Text;
using System.Text.Json;
using Tollgate.Catalog;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Streaming;
using Tollgate.Providers;
using Tollgate.Providers.Anthropic;

namespace Tollgate.Gateway.Endpoints.Messages;

/// <summary>
/// Messages to Anthropic with as little change as possible: the client's bytes with the provider's
/// model id (and a clamped <c>max_tokens</c>), the client's <c>anthropic-version</c> and
/// <c>anthropic-beta</c>; the answer as Anthropic sent it, naming the model the client asked for.
/// Usage comes from <c>message_start</c> (input and cache) and <c>message_delta</c> (cumulative output);
/// <c>message_stop</c> is held back until the charge is durable.
/// </summary>
/// <param name="request">The client's request.</param>
/// <param name="vertex">How the body reaches Claude on Vertex (with the client's <c>anthropic-beta</c>); null for Anthropic itself.</param>
internal sealed class MessagesPassthrough(MessagesRequest request, Providers.Google.VertexAnthropicAdapter? vertex = null) : IUpstreamExchange
{
    private readonly byte[] _model = JsonSerializer.SerializeToUtf8Bytes(request.ModelName);
    private AnthropicUsage _usage;
    private long _contentBytes;
    private byte[] _completion = [];

    /// <inheritdoc />
    public TokenUsage? StreamUsage => _usage.Any ? _usage.ToTokenUsage() : null;

    /// <inheritdoc />
    public long StreamContentBytes => _contentBytes;

    /// <inheritdoc />
    public ReadOnlyMemory<byte> StreamCompletion => _completion;

    /// <inheritdoc />
    public GatewayError? StreamFailure { get; private set; }

    /// <inheritdoc />
    public byte[] StreamFailureEvents(GatewayError error) => MessagesEndpoint.StreamFailure(error);

    /// <inheritdoc />
    public ValueTask<HttpRequestMessage> CreateRequestAsync(RouteCandidate candidate, long? clampedMaxOutputTokens, CancellationToken cancellationToken)
    {
        var body = request.ToUpstreamBody(candidate.Mapping.ProviderModelId, clampedMaxOutputTokens);
        return vertex is null
            ? ValueTask.FromResult(AnthropicProvider.CreateRequest(candidate.Endpoint, "/v1/messages", body, request.Version, request.Beta))
            : vertex.CreateRequestAsync(candidate.Endpoint, candidate.Mapping.ProviderModelId, body, request.Stream, request.Beta, cancellationToken);
    }

    /// <inheritdoc />
    public UpstreamAnswer ReadAnswer(byte[] upstreamBody)
    {
        var info = AnthropicUsageReader.Inspect(upstreamBody);
        var body = Renamed(upstreamBody, info.ModelStart, info.ModelLength);
        return new UpstreamAnswer(body, info.Usage.Any ? info.Usage.ToTokenUsage() : null, info.ContentBytes);
    }

    /// <inheritdoc />
    public byte[] ReadError(int status, byte[] upstreamBody) =>
        AnthropicUsageReader.Inspect(upstreamBody) is { Type: "error", ErrorMessage: not null }
            ? upstreamBody
            : AnthropicErrorFormat.Instance.ToJson(GatewayError.Upstream(status, "upstream_error",
                $"The provider answered HTTP {status}: {Encoding.UTF8.GetString(upstreamBody.AsSpan(0, Math.Min(upstreamBody.Length, 2048)))}"));

    /// <inheritdoc />
    public bool OnEvent(ReadOnlyMemory<byte> ev, IBufferWriter<byte> output)
    {
        var span = ev.Span;
        var (dataStart, dataLength) = SseEvents.DataRange(span);
        var info = AnthropicUsageReader.Inspect(span.Slice(dataStart, dataLength));
        _usage = info.Usage.Over(_usage);
        _contentBytes += info.ContentBytes;
        switch (info.Type)
        {
            case "message_stop":
                _completion = span.ToArray();
                return true;
            case "error":
                StreamFailure = GatewayError.Upstream(StatusCodes.Status502BadGateway, info.ErrorType ?? "api_error",
                    info.ErrorMessage ?? "The provider reported an error in the stream.");
                return false;
        }

        if (info.ModelLength == 0 || span.Slice(dataStart + info.ModelStart, info.ModelLength).SequenceEqual(_model))
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

    private byte[] Renamed(byte[] json, int start, int length) =>
        length == 0 || json.AsSpan(start, length).SequenceEqual(_model)
            ? json
            : [.. json.AsSpan(0, start), .. _model, .. json.AsSpan(start + length)];
}
