using System.Net.Http.Headers;

namespace Tollgate.Providers.OpenAI;

/// <summary>
/// The OpenAI-compatible family (OpenAI, Mistral, Cerebras, Groq, DeepSeek, xAI, Together, custom base
/// URLs): paths under the base URL as the official SDKs take it (<c>https://api.openai.com/v1</c>),
/// and the server's credential as a bearer token.
/// </summary>
internal static class OpenAICompatibleProvider
{
    /// <summary>A JSON POST to <paramref name="path"/> (e.g. <c>/chat/completions</c>) under the provider's base URL.</summary>
    public static HttpRequestMessage CreateRequest(ProviderEndpoint endpoint, string path, byte[] body)
    {
        if (endpoint.Dialect == ChatDialect.Mistral && path == "/chat/completions")
        {
            body = Mistral.MistralDialect.Rewrite(body);
        }

        var request = new HttpRequestMessage(HttpMethod.Post, endpoint.BaseUrl + path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (endpoint.ApiKey is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", endpoint.ApiKey);
        }

        return request;
    }
}

/// <summary>Chat Completions at <c>{base}/chat/completions</c>, for requests translated into that format.</summary>
internal sealed class OpenAIChatAdapter : IChatProviderAdapter
{
    /// <summary>The one instance (stateless).</summary>
    public static readonly OpenAIChatAdapter Instance = new();

    /// <inheritdoc />
    public ValueTask<HttpRequestMessage> CreateRequestAsync(
        ProviderEndpoint endpoint, string providerModel, byte[] body, bool stream, CancellationToken cancellationToken) =>
        ValueTask.FromResult(OpenAICompatibleProvider.CreateRequest(endpoint, "/chat/completions", body));
}
