using System.Text;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;
using Tollgate.Gateway.Translation;
using Tollgate.Providers;

namespace Tollgate.Gateway.Endpoints.Messages;

/// <summary><c>POST /v1/messages</c>: Anthropic Messages in and out, passed through to Anthropic and translated for the others.</summary>
internal sealed class MessagesEndpoint(ChatFormats formats) : IGatewayEndpoint
{
    /// <inheritdoc />
    public string Name => "messages";

    /// <inheritdoc />
    public string ModelKind => "chat";

    /// <inheritdoc />
    public ErrorFormat Errors => AnthropicErrorFormat.Instance;

    /// <inheritdoc />
    public (IGatewayRequest? Request, GatewayError? Error) Parse(byte[] body, HttpRequest http)
    {
        var (request, error) = MessagesRequest.From(body);
        if (request is not null)
        {
            request.Version = http.Headers["anthropic-version"].ToString();
            request.Beta = http.Headers["anthropic-beta"].ToString();
        }

        return (request, error);
    }

    /// <inheritdoc />
    public IUpstreamExchange? ExchangeFor(RouteCandidate candidate, IGatewayRequest request)
    {
        var messages = (MessagesRequest)request;
        // Claude on Vertex speaks Messages too (rawPredict): passed through with Vertex's URL, token and body changes.
        if (candidate.Model.Kind != Catalog.ModelKinds.Chat)
        {
            // An image model: translated, and refused there (Messages answers cannot carry its images).
            return formats.Translate(candidate, messages.Turn(formats.Messages), formats.Messages, Errors, StreamFailure);
        }

        return candidate.Endpoint.Protocol == ProviderProtocol.Anthropic
            ? new MessagesPassthrough(messages)
            : candidate.Endpoint.Protocol == ProviderProtocol.Vertex && Providers.Google.VertexUrls.IsClaude(candidate.Mapping.ProviderModelId)
            ? new MessagesPassthrough(messages, formats.VertexClaude)
            : formats.Translate(candidate, messages.Turn(formats.Messages), formats.Messages, Errors, StreamFailure);
    }

    /// <summary><c>event: error</c> with an <c>api_error</c> (or the upstream's type), then <c>event: message_stop</c>.</summary>
    public static byte[] StreamFailure(GatewayError error)
    {
        var json = Encoding.UTF8.GetString(AnthropicErrorFormat.Instance.ToJson(error));
        return Encoding.UTF8.GetBytes($"event: error\ndata: {json}\n\nevent: message_stop\ndata: {{\"type\":\"message_stop\"}}\n\n");
    }
}
