using Tollgate.Catalog;
using Tollgate.Gateway.Routing;
using Tollgate.Providers;
using Tollgate.Providers.Anthropic;
using Tollgate.Providers.Bedrock;
using Tollgate.Providers.Google;
using Tollgate.Providers.OpenAI;

namespace Tollgate.Gateway.Translation;

/// <summary>
/// The three chat wire formats, and for each provider protocol the format it speaks and how a request
/// in that format is sent (the provider adapter's URL and authentication). A new provider protocol adds
/// one entry here and one format, not one translator per endpoint.
/// </summary>
internal sealed class ChatFormats
{
    private readonly ProviderChatFormat _anthropic;
    private readonly ProviderChatFormat _openAIChat;
    private readonly ProviderChatFormat _bedrock;
    private readonly ProviderChatFormat _gemini;
    private readonly ProviderChatFormat _vertexGemini;
    private readonly ProviderChatFormat _geminiImages;
    private readonly ProviderChatFormat _vertexGeminiImages;
    private readonly ProviderChatFormat _vertexClaude;

    public ChatFormats(TimeProvider time, VertexTokenSource vertexTokens)
    {
        Chat = new ChatCompletionsFormat(time);
        Messages = new AnthropicMessagesFormat();
        Responses = new ResponsesFormat(time);
        _anthropic = new ProviderChatFormat(Messages, AnthropicMessagesAdapter.Instance);
        _openAIChat = new ProviderChatFormat(Chat, OpenAIChatAdapter.Instance);
        _bedrock = new ProviderChatFormat(new BedrockConverseFormat(), new BedrockConverseAdapter(time));
        _gemini = new ProviderChatFormat(GeminiFormat.Instance, GeminiAdapter.Instance);
        var vertexGemini = new VertexGeminiAdapter(vertexTokens);
        _vertexGemini = new ProviderChatFormat(GeminiFormat.Instance, vertexGemini);
        _geminiImages = new ProviderChatFormat(GeminiFormat.ImageOutput, GeminiAdapter.Instance, ImageOutput: true);
        _vertexGeminiImages = new ProviderChatFormat(GeminiFormat.ImageOutput, vertexGemini, ImageOutput: true);
        VertexClaude = new VertexAnthropicAdapter(vertexTokens);
        _vertexClaude = new ProviderChatFormat(Messages, VertexClaude);
    }

    /// <summary>Claude on Vertex (<c>rawPredict</c>): how a Messages body, passed through or translated, reaches it.</summary>
    public VertexAnthropicAdapter VertexClaude { get; }

    /// <summary>OpenAI Chat Completions.</summary>
    public ChatCompletionsFormat Chat { get; }

    /// <summary>Anthropic Messages.</summary>
    public AnthropicMessagesFormat Messages { get; }

    /// <summary>OpenAI Responses.</summary>
    public ResponsesFormat Responses { get; }

    /// <summary>
    /// The chat format a candidate speaks, or null for a protocol not translated to yet. The mapping is
    /// at hand because one provider may serve models in different formats (Vertex: Gemini and Claude).
    /// An image model (catalog kind <c>image</c>) is reachable through chat only where the provider's chat
    /// answers carry images: Gemini, on AI Studio and Vertex; elsewhere null.
    /// </summary>
    public ProviderChatFormat? ForProvider(RouteCandidate candidate) => candidate.Model.Kind == ModelKinds.Image
        ? candidate.Endpoint.Protocol switch
        {
            ProviderProtocol.Gemini => _geminiImages,
            ProviderProtocol.Vertex when !VertexUrls.IsClaude(candidate.Mapping.ProviderModelId) => _vertexGeminiImages,
            _ => null,
        }
        : candidate.Endpoint.Protocol switch
        {
            ProviderProtocol.Anthropic => _anthropic,
            ProviderProtocol.OpenAICompatible or ProviderProtocol.Demo => _openAIChat,
            ProviderProtocol.Bedrock => _bedrock,
            ProviderProtocol.Gemini => _gemini,
            ProviderProtocol.Vertex => VertexUrls.IsClaude(candidate.Mapping.ProviderModelId) ? _vertexClaude : _vertexGemini,
            _ => null,
        };

    /// <summary>
    /// A translating exchange to <paramref name="candidate"/> for a request whose client format is <paramref name="client"/>, or one
    /// carrying the 400 that says why it cannot be translated (<see cref="TranslatingExchange.RequestError"/>).
    /// </summary>
    public TranslatingExchange? Translate(
        RouteCandidate candidate, (ChatTurn? Turn, Errors.GatewayError? Error) turn, IChatWireFormat client,
        Errors.ErrorFormat clientErrors, Func<Errors.GatewayError, byte[]> terminalEvents)
    {
        if (ForProvider(candidate) is not { } target)
        {
            return null;
        }

        return turn.Turn is { } parsed
            ? new TranslatingExchange(parsed, client, target, clientErrors, terminalEvents)
            : TranslatingExchange.Refused(turn.Error!, terminalEvents);
    }
}
