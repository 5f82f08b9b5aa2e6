using System.Net.Http.Headers;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Streaming;

namespace Tollgate.Providers;

/// <summary>
/// How a chat request in a provider's own wire format is sent to it: the URL (which may name the
/// model and whether the answer streams), authentication (a header, a signature, an OAuth token that
/// may have to be fetched first), and the framing of its streamed answer. The body is written by the
/// provider's chat format; the adapter never changes what it asks for.
/// </summary>
internal interface IChatProviderAdapter
{
    /// <summary>The upstream request for <paramref name="body"/> to <paramref name="providerModel"/> at <paramref name="endpoint"/>.</summary>
    ValueTask<HttpRequestMessage> CreateRequestAsync(
        ProviderEndpoint endpoint, string providerModel, byte[] body, bool stream, CancellationToken cancellationToken);

    /// <summary>A reader of the provider's streamed answer; server-sent events unless the provider frames otherwise.</summary>
    IStreamFrameReader OpenStream(Stream body, int maxEventBytes) => new SseFrameReader(body, maxEventBytes);

    /// <summary>
    /// The provider's error answer as a gateway error (its kind, status and message), for a provider that
    /// names errors its own way (a header, an exception name); null leaves the generic relay.
    /// </summary>
    GatewayError? ReadError(int status, byte[] body, HttpResponseHeaders headers) => null;
}
