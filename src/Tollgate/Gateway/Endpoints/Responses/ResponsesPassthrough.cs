using System.Buffers;
using System.Text;
using System.Text.Json;
using Tollgate.Catalog;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Streaming;
using Tollgate.Providers.OpenAI;

namespace Tollgate.Gateway.Endpoints.Responses;

/// <summary>
/// Responses to OpenAI with as little change as possible: the client's bytes with the provider's
/// model id (and a clamped <c>max_output_tokens</c>); the answer as OpenAI sent it, naming the model
/// the client asked for. The terminal event (<c>response.completed</c>, <c>.incomplete</c>,
/// <c>.failed</c>) is held back until the charge is durable; the response it carries is kept for the store.
/// </summary>
internal sealed class ResponsesPassthrough(ResponsesRequest request) : IUpstreamExchange
{
    private readonly byte[] _model = JsonSerializer.SerializeToUtf8Bytes(request.ModelName);
    private readonly UsageMeter _meter = new();
    private byte[] _completion = [];

    /// <summary>The final response object as the client got it (null until the answer is complete).</summary>
    public byte[]? FinalResponse { get; private set; }

    /// <summary>The response's id, from the first event or the answer.</summary>
    public string? ResponseId { get; private set; }

    /// <summary>The last sequence number relayed.</summary>
    public long LastSequence { get; private set; } = -1;

    /// <inheritdoc />
    public TokenUsage? StreamUsage => _meter.Usage;

    /// <inheritdoc />
    public long StreamContentBytes => _meter.ContentBytes;

    /// <inheritdoc />
    public ReadOnlyMemory<byte> StreamCompletion => _completion;

    /// <inheritdoc />
    public GatewayError? StreamFailure { get; private set; }

    /// <inheritdoc />
    public byte[] StreamFailureEvents(GatewayError error) => ResponsesEndpoint.StreamFailure(error, ResponseId, request.ModelName, LastSequence + 1);

    /// <inheritdoc />
    public ValueTask<HttpRequestMessage> CreateRequestAsync(RouteCandidate candidate, long? clampedMaxOutputTokens, CancellationToken cancellationToken) =>
        ValueTask.FromResult(
        OpenAICompatibleProvider.CreateRequest(candidate.Endpoint, "/responses", request.ToUpstreamBody(candidate.Mapping.ProviderModelId, clampedMaxOutputTokens)));

    /// <inheritdoc />
    public UpstreamAnswer ReadAnswer(byte[] upstreamBody)
    {
        var info = ResponsesUsageReader.Inspect(upstreamBody);
        var body = Renamed(upstreamBody, 0, info.ModelStart, info.ModelLength);
        ResponseId = info.Id;
        FinalResponse = body;
        return new UpstreamAnswer(body, info.Usage, info.ContentBytes);
    }

    /// <inheritdoc />
    public byte[] ReadError(int status, byte[] upstreamBody) =>
        ResponsesUsageReader.Inspect(upstreamBody).ErrorMessage is not null
            ? upstreamBody
            : OpenAIErrorFormat.Instance.ToJson(GatewayError.Upstream(status, "upstream_error",
                $"The provider answered HTTP {status}: {Encoding.UTF8.GetString(upstreamBody.AsSpan(0, Math.Min(upstreamBody.Length, 2048)))}"));

    /// <inheritdoc />
    public bool OnEvent(ReadOnlyMemory<byte> ev, IBufferWriter<byte> output)
    {
        var span = ev.Span;
        var (dataStart, dataLength) = SseEvents.DataRange(span);
        var info = ResponsesUsageReader.Inspect(span.Slice(dataStart, dataLength));
        _meter.ContentBytes += info.ContentBytes;
        _meter.Usage = info.Usage ?? _meter.Usage;
        ResponseId ??= info.Id;
        LastSequence = info.SequenceNumber ?? LastSequence;
        var renamed = Renamed(span.ToArray(), dataStart, info.ModelStart, info.ModelLength);
        switch (info.Type)
        {
            case "response.completed" or "response.incomplete" or "response.failed":
                _completion = renamed;
                var (start, length) = SseEvents.DataRange(renamed);
                var inner = ResponsesUsageReader.Inspect(renamed.AsSpan(start, length));
                FinalResponse = renamed.AsSpan(start + inner.ResponseStart, inner.ResponseLength).ToArray();
                return true;
            case "error":
                StreamFailure = GatewayError.Upstream(StatusCodes.Status502BadGateway, info.ErrorCode ?? "upstream_error",
                    info.ErrorMessage ?? "The provider reported an error in the stream.");
                return false;
        }

        output.Write(renamed);
        return false;
    }

    private byte[] Renamed(byte[] bytes, int offset, int start, int length) =>
        length == 0 || bytes.AsSpan(offset + start, length).SequenceEqual(_model)
            ? bytes
            : [.. bytes.AsSpan(0, offset + start), .. _model, .. bytes.AsSpan(offset + start + length)];
}
