using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Translation;
using Tollgate.Providers;

namespace Tollgate.Gateway.Endpoints.ChatCompletions;

/// <summary>
/// <c>POST /v1/chat/completions</c>: OpenAI Chat Completions in and out, passed through to
/// OpenAI-compatible providers and translated for the others.
/// </summary>
internal sealed class ChatCompletionsEndpoint(ChatFormats formats) : IGatewayEndpoint
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();

    /// <inheritdoc />
    public string Name => "chat.completions";

    /// <inheritdoc />
    public string ModelKind => "chat";

    /// <inheritdoc />
    public ErrorFormat Errors => OpenAIErrorFormat.Instance;

    /// <inheritdoc />
    public (IGatewayRequest? Request, GatewayError? Error) Parse(byte[] body, HttpRequest http) => ChatRequest.From(body);

    /// <inheritdoc />
    public IUpstreamExchange? ExchangeFor(RouteCandidate candidate, IGatewayRequest request)
    {
        var chat = (ChatRequest)request;
        // An image model is only ever translated (its chat answers carry images only where translated to).
        return candidate.Endpoint.Protocol is ProviderProtocol.OpenAICompatible or ProviderProtocol.Demo && candidate.Model.Kind == Catalog.ModelKinds.Chat
            ? new ChatPassthrough(chat)
            : formats.Translate(candidate, chat.Turn(formats.Chat), formats.Chat, Errors, StreamFailure);
    }

    /// <summary>A final <c>data: {"error":{...}}</c> chunk, then <c>data: [DONE]</c>.</summary>
    public static byte[] StreamFailure(GatewayError error) =>
        [.. DataPrefix, .. OpenAIErrorFormat.Instance.ToJson(error), .. EventEnd, .. ChatPassthrough.Done];
}
