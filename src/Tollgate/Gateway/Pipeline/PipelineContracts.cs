using Tollgate.Accounts;
using System.Buffers;
using Tollgate.Catalog;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Streaming;

namespace Tollgate.Gateway.Pipeline;

/// <summary>
/// One client wire format (<c>/v1/chat/completions</c>, <c>/v1/messages</c>, ...) as the pipeline sees
/// it: how its requests are read, how its errors and stream endings are worded, and which upstream
/// exchange serves it at each provider. Endpoints never see money: the pipeline estimates, admits and
/// settles.
/// </summary>
internal interface IGatewayEndpoint
{
    /// <summary>The name written on ledger rows (<c>chat.completions</c>).</summary>
    string Name { get; }

    /// <summary>The catalog kind of model this endpoint serves (<c>chat</c>).</summary>
    string ModelKind { get; }

    /// <summary>How this endpoint's clients read errors.</summary>
    ErrorFormat Errors { get; }

    /// <summary>
    /// Reads the request's bytes with the endpoint's content type and size limit: a JSON body up to
    /// the request limit by default; an upload endpoint accepts <c>multipart/form-data</c> up to the
    /// upload limit. Errors (413, 415, ...) are values and never billed.
    /// </summary>
    Task<(byte[]? Bytes, GatewayError? Error)> ReadBodyAsync(HttpRequest http, GatewayOptions options, CancellationToken cancellationToken) =>
        RequestBodyReader.ReadBodyAsync(http, options.MaxRequestBytes, cancellationToken);

    /// <summary>Reads and validates a request body (with the request's headers at hand, e.g. <c>anthropic-version</c>).</summary>
    (IGatewayRequest? Request, GatewayError? Error) Parse(byte[] body, HttpRequest http);

    /// <summary>
    /// Completes a parsed request with what must be read from storage for the caller's org (e.g. a stored
    /// conversation to continue); returns the error that ends the request, or null.
    /// </summary>
    ValueTask<GatewayError?> PrepareAsync(IGatewayRequest request, KeyIdentity identity, CancellationToken cancellationToken) => default;

    /// <summary>The wire handling of one attempt at <paramref name="candidate"/>; null when this endpoint cannot reach its protocol.</summary>
    IUpstreamExchange? ExchangeFor(RouteCandidate candidate, IGatewayRequest request);

    /// <summary>Runs after an answer was relayed and charged (e.g. to store it); never on a failed attempt.</summary>
    ValueTask OnAnsweredAsync(GatewayCall call, IUpstreamExchange exchange, CancellationToken cancellationToken) => default;
}

/// <summary>A validated client request: what routing and the worst-case estimate need of it.</summary>
internal interface IGatewayRequest
{
    /// <summary>The model name as the client wrote it.</summary>
    string ModelName { get; }

    /// <summary>The client asked for a stream.</summary>
    bool Stream { get; }

    /// <summary>The output limit the client set, if any.</summary>
    long? MaxOutputTokens { get; }

    /// <summary>The request field that carries the output limit, named in errors.</summary>
    string MaxOutputField { get; }

    /// <summary>How many answers one request asks for (<c>n</c>): output is paid once per answer.</summary>
    int Answers { get; }
}

/// <summary>
/// A request billed in its own unit (characters, images, pages, audio or video seconds, or tokens it
/// bounds itself) rather than by the chat estimate of prompt bytes and maximum output: embeddings,
/// speech, transcription, images, OCR. The pipeline reserves the dearest candidate's bound and, when a
/// provider reports nothing, charges the bound of the candidate that answered, marked estimated.
/// </summary>
internal interface IUnitRequest : IGatewayRequest
{
    /// <summary>
    /// The worst case of this request at <paramref name="candidate"/>, in the unit its price is set in;
    /// or the 400 that refuses it there (an image size the catalog has no price for).
    /// </summary>
    (UnitUsage? Bound, GatewayError? Error) BoundFor(RouteCandidate candidate);
}

/// <summary>A complete (non-streamed) upstream answer, read.</summary>
/// <param name="ClientBody">The bytes the client gets.</param>
/// <param name="Usage">The provider's usage, when it reported one.</param>
/// <param name="ContentBytes">Bytes of generated content, for an estimate when there is no usage.</param>
/// <param name="Units">For a unit-billed request, what the answer says was used (pages, images, seconds...), when it says.</param>
/// <param name="ContentType">The client's content type, when it is not JSON (a transcription as text, srt or vtt).</param>
internal readonly record struct UpstreamAnswer(byte[] ClientBody, TokenUsage? Usage, long ContentBytes, UnitUsage? Units = null, string? ContentType = null)
{
    /// <summary>Set when the provider answered 200 yet refused (a prompt blocked for safety): the client gets this error instead.</summary>
    public GatewayError? Failure { get; init; }

    /// <summary>
    /// Set when the provider accepted an asynchronous job (a video) that is charged when it ends: the
    /// attempt keeps its reservation as a durable hold instead of being charged now.
    /// </summary>
    public DeferredCharge? Deferred { get; init; }
}

/// <summary>
/// One attempt's wire handling for a pair of client format and provider protocol: passthrough when
/// they are the same, a translator otherwise. Built per attempt; holds that attempt's state.
/// </summary>
internal interface IUpstreamExchange
{
    /// <summary>The upstream request: the provider adapter's URL and authentication, the body in the provider's format.</summary>
    ValueTask<HttpRequestMessage> CreateRequestAsync(RouteCandidate candidate, long? clampedMaxOutputTokens, CancellationToken cancellationToken);

    /// <summary>A reader of the upstream's streamed answer in the provider's framing (server-sent events unless it frames otherwise).</summary>
    IStreamFrameReader OpenStream(Stream body, int maxEventBytes) => new SseFrameReader(body, maxEventBytes);

    /// <summary>Reads a complete successful answer.</summary>
    UpstreamAnswer ReadAnswer(byte[] upstreamBody);

    /// <summary>
    /// An upstream error answered before anything reached the client: the body the client gets, in
    /// its own format (passed through when the provider speaks it).
    /// </summary>
    byte[] ReadError(int status, byte[] upstreamBody);

    /// <summary>
    /// An upstream error with the response's headers at hand (a provider may name the error in a header):
    /// the status and body the client gets. By default the provider's status and <see cref="ReadError(int, byte[])"/>.
    /// </summary>
    (int Status, byte[] Body) ReadError(int status, byte[] upstreamBody, System.Net.Http.Headers.HttpResponseHeaders headers) =>
        (status, ReadError(status, upstreamBody));

    /// <summary>
    /// One whole upstream server-sent event: writes what the client gets (possibly nothing) to
    /// <paramref name="output"/>; returns true when the upstream's stream is complete.
    /// </summary>
    bool OnEvent(ReadOnlyMemory<byte> ev, IBufferWriter<byte> output);

    /// <summary>The usage read from the stream so far.</summary>
    TokenUsage? StreamUsage { get; }

    /// <summary>Generated-content bytes seen in the stream so far.</summary>
    long StreamContentBytes { get; }

    /// <summary>The client's final stream bytes after a complete upstream stream (<c>data: [DONE]</c>), sent once the charge is durable.</summary>
    ReadOnlyMemory<byte> StreamCompletion { get; }

    /// <summary>Set when the provider reported a failure inside its stream (an error event): the stream ends with the endpoint's terminal events.</summary>
    GatewayError? StreamFailure { get; }

    /// <summary>The events that end a committed stream after a failure, in the client's format (gateway.md, "Failure mid-stream").</summary>
    byte[] StreamFailureEvents(GatewayError error);

    /// <summary>Why this provider cannot be sent the request (a feature its format cannot express: a 400), or null.</summary>
    GatewayError? RequestError => null;

    /// <summary>
    /// A non-streamed answer that is relayed to the client as it arrives (binary audio), with the
    /// upstream's content type, instead of being read whole by <see cref="ReadAnswer"/>.
    /// </summary>
    bool RelaysBody => false;

    /// <summary>For a unit-billed request, what the attempt used when known without the answer's body (characters sent to speech).</summary>
    UnitUsage? Units => null;
}
