using System.Buffers;
using Tollgate.Catalog;
using Tollgate.Gateway.Errors;

namespace Tollgate.Gateway.Translation;

/// <summary>
/// The provider half of a chat wire format: writes requests from <see cref="ChatTurn"/> and reads
/// answers and streams into the internal form. A format only providers speak (Gemini) implements
/// this alone; the client formats implement <see cref="IChatWireFormat"/>, which adds the client half.
/// </summary>
internal interface IProviderWireFormat
{
    /// <summary>
    /// Provider side: the request body for a provider speaking this format, with its model id, the
    /// output limit to send (the client's, or a clamp), and the stream flag (with usage asked for when
    /// the format needs it); or a 400 for a feature this format cannot express.
    /// </summary>
    (byte[]? Body, GatewayError? Error) WriteRequest(ChatTurn turn, string providerModel, long? maxOutputTokens);

    /// <summary>Provider side: a complete answer into the internal form.</summary>
    ChatResult ReadResponse(ReadOnlySpan<byte> json);

    /// <summary>Provider side: a decoder of this format's server-sent events into internal stream events.</summary>
    IStreamDecoder CreateDecoder();

    /// <summary>
    /// Provider side: an error answer in this provider's own error shape as the gateway's error (its
    /// message and code, at <paramref name="status"/>); null to relay it as an opaque upstream error.
    /// </summary>
    GatewayError? ReadError(int status, ReadOnlySpan<byte> body) => null;
}

/// <summary>
/// One chat wire format (Chat Completions, Anthropic Messages, Responses) translated to and from
/// <see cref="ChatTurn"/>. The client side reads requests and writes answers; the provider side
/// writes requests and reads answers. A request feature the target format cannot express is a 400
/// <see cref="GatewayError"/> that names it, never silently dropped.
/// </summary>
internal interface IChatWireFormat : IProviderWireFormat
{
    /// <summary>
    /// Client side: a request body into the internal form, or the 400 that says why not. Strict: a
    /// field the internal form cannot carry is refused, so call it only for a request that must be
    /// translated (native passthrough keeps what the provider understands).
    /// </summary>
    (ChatTurn? Turn, GatewayError? Error) ReadRequest(ReadOnlySpan<byte> json);

    /// <summary>Client side: a complete answer in this format, naming <paramref name="clientModel"/>.</summary>
    byte[] WriteResponse(ChatResult result, string clientModel);

    /// <summary>Client side: an encoder of internal stream events into this format's server-sent events.</summary>
    IStreamEncoder CreateEncoder(string clientModel, ChatTurn request);

    /// <summary>
    /// Client side: whether this format's answers can carry images the model made (Chat Completions'
    /// <c>message.images</c>, Responses' <c>image_generation_call</c> items). A format that cannot is
    /// refused a model whose answers may hold images, rather than losing them.
    /// </summary>
    bool CarriesImageOutput => true;
}

/// <summary>Reads one provider stream, event by event (stateful).</summary>
internal interface IStreamDecoder
{
    /// <summary>Decodes one whole server-sent event into zero or more internal events.</summary>
    void Decode(ReadOnlySpan<byte> sseEvent, List<StreamEvent> output);

    /// <summary>The provider's stream reached its proper end (<c>[DONE]</c>, <c>message_stop</c>, <c>response.completed</c>).</summary>
    bool Completed { get; }

    /// <summary>The usage read so far (partial until the end).</summary>
    TokenUsage? Usage { get; }

    /// <summary>Bytes of generated content seen, for an estimate when no usage arrives.</summary>
    long ContentBytes { get; }

    /// <summary>The error the provider reported inside the stream (an <c>error</c> event, <c>response.failed</c>), when it did.</summary>
    GatewayError? Failure { get; }

    /// <summary>How many of the usage's output tokens the provider counted for images it made (0 for a provider that makes none).</summary>
    long ImageOutputTokens => 0;
}

/// <summary>Writes one client stream, event by event (stateful).</summary>
internal interface IStreamEncoder
{
    /// <summary>Encodes one internal event as this format's server-sent events.</summary>
    void Encode(StreamEvent ev, IBufferWriter<byte> output);

    /// <summary>
    /// The final events after the answer is finished (Chat Completions: the usage chunk when asked
    /// and <c>data: [DONE]</c>; Messages: <c>message_delta</c> and <c>message_stop</c>; Responses:
    /// <c>response.completed</c>), given the usage that will be charged.
    /// </summary>
    byte[] Complete(StreamFinished finish);
}
