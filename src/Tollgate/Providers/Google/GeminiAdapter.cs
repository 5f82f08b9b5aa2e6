using System.Net.Http.Headers;

namespace Tollgate.Providers.Google;

/// <summary>
/// Google AI Studio (the Gemini API): <c>POST {base}/v1beta/models/{model}:generateContent</c>, or
/// <c>:streamGenerateContent?alt=sse</c> for a stream of server-sent events, with the key in
/// <c>x-goog-api-key</c>.
/// </summary>
internal sealed class GeminiAdapter : IChatProviderAdapter
{
    /// <summary>The one instance (stateless).</summary>
    public static readonly GeminiAdapter Instance = new();

    /// <inheritdoc />
    public ValueTask<HttpRequestMessage> CreateRequestAsync(
        ProviderEndpoint endpoint, string providerModel, byte[] body, bool stream, CancellationToken cancellationToken)
    {
        var request = JsonPost($"{endpoint.BaseUrl}/v1beta/models/{Uri.EscapeDataString(providerModel)}{GeminiMethod(stream)}", body);
        if (endpoint.ApiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("x-goog-api-key", endpoint.ApiKey);
        }

        return ValueTask.FromResult(request);
    }

    /// <summary>The method suffix of a Gemini model URL: a whole answer, or server-sent events.</summary>
    internal static string GeminiMethod(bool stream) => stream ? ":streamGenerateContent?alt=sse" : ":generateContent";

    /// <summary>A POST of a JSON body.</summary>
    internal static HttpRequestMessage JsonPost(string url, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return request;
    }
}
