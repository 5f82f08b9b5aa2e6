using System.Net.Http.Headers;

namespace Tollgate.Providers.Anthropic;

/// <summary>
/// The Anthropic Messages API: <c>{base}/v1/messages</c> with the key in <c>x-api-key</c> and the API
/// version in <c>anthropic-version</c> (the client's when it sent one, else <see cref="DefaultVersion"/>);
/// a client's <c>anthropic-beta</c> flags pass through.
/// </summary>
internal static class AnthropicProvider
{
    /// <summary>The API version sent when the client names none.</summary>
    public const string DefaultVersion = "2023-06-01";

    /// <summary>A JSON POST to <paramref name="path"/> (<c>/v1/messages</c>) under the provider's base URL.</summary>
    public static HttpRequestMessage CreateRequest(ProviderEndpoint endpoint, string path, byte[] body, string? version, string? beta)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, endpoint.BaseUrl + path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (endpoint.ApiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("x-api-key", endpoint.ApiKey);
        }

        request.Headers.TryAddWithoutValidation("anthropic-version", string.IsNullOrWhiteSpace(version) ? DefaultVersion : version);
        if (!string.IsNullOrWhiteSpace(beta))
        {
            request.Headers.TryAddWithoutValidation("anthropic-beta", beta);
        }

        return request;
    }
}

/// <summary>Anthropic Messages at <c>{base}/v1/messages</c>, for requests translated into that format.</summary>
internal sealed class AnthropicMessagesAdapter : IChatProviderAdapter
{
    /// <summary>The one instance (stateless).</summary>
    public static readonly AnthropicMessagesAdapter Instance = new();

    /// <inheritdoc />
    public ValueTask<HttpRequestMessage> CreateRequestAsync(
        ProviderEndpoint endpoint, string providerModel, byte[] body, bool stream, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AnthropicProvider.CreateRequest(endpoint, "/v1/messages", body, null, null));
}
