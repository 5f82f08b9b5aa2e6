using System.Net.Http.Headers;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Streaming;

namespace Tollgate.Providers.Bedrock;

/// <summary>
/// Bedrock Converse at <c>POST {base}/model/{modelId}/converse</c> (or <c>/converse-stream</c>), signed
/// with SigV4 for service <c>bedrock</c> in the credential's region. The model id is URL-encoded into
/// the path, so foundation-model ids (<c>anthropic.claude-…-v1:0</c>), cross-region inference profiles
/// (<c>global.…</c>, <c>us.…</c>) and ARNs all pass as they are. A streamed answer is AWS's binary event
/// stream, read by <see cref="EventStreamFrameReader"/>. Temporary credentials add their session token
/// as the signed <c>x-amz-security-token</c> header.
/// </summary>
internal sealed class BedrockConverseAdapter(TimeProvider time) : IChatProviderAdapter
{
    /// <summary>The SigV4 service name of the Bedrock runtime.</summary>
    public const string SigningService = "bedrock";

    /// <summary>The region used when the credential names none.</summary>
    public const string DefaultRegion = "us-east-1";

    /// <inheritdoc />
    public ValueTask<HttpRequestMessage> CreateRequestAsync(
        ProviderEndpoint endpoint, string providerModel, byte[] body, bool stream, CancellationToken cancellationToken)
    {
        var region = endpoint.Region ?? DefaultRegion;
        var url = $"{BaseUrl(endpoint, region)}/model/{Uri.EscapeDataString(providerModel)}/{(stream ? "converse-stream" : "converse")}";
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(stream ? "application/vnd.amazon.eventstream" : "application/json"));
        if (endpoint.AccessKeyId is { } keyId && endpoint.SecretAccessKey is { } secret)
        {
            SigV4Signer.Sign(request, body, keyId, secret, region, SigningService, time.GetUtcNow(), endpoint.SessionToken);
        }

        return ValueTask.FromResult(request);
    }

    /// <inheritdoc />
    public IStreamFrameReader OpenStream(Stream body, int maxEventBytes) => new EventStreamFrameReader(body, maxEventBytes);

    /// <inheritdoc />
    public GatewayError? ReadError(int status, byte[] body, HttpResponseHeaders headers) => BedrockErrors.FromResponse(status, body, headers);

    /// <summary>
    /// The runtime endpoint of the credential's region (<c>https://bedrock-runtime.{region}.amazonaws.com</c>)
    /// unless the base URL was set to something other than an AWS runtime host (a proxy, a test fake).
    /// </summary>
    public static string BaseUrl(ProviderEndpoint endpoint, string region) =>
        Uri.TryCreate(endpoint.BaseUrl, UriKind.Absolute, out var configured)
        && !(configured.Host.StartsWith("bedrock-runtime.", StringComparison.OrdinalIgnoreCase)
             && configured.Host.EndsWith(".amazonaws.com", StringComparison.OrdinalIgnoreCase))
            ? endpoint.BaseUrl
            : $"https://bedrock-runtime.{region}.amazonaws.com";
}
