using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;
using Tollgate.Catalog;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Routing;

namespace Tollgate.Gateway.Endpoints.Media;

/// <summary>
/// One attempt of a unit-billed request at an OpenAI-compatible provider (OpenAI, Mistral, custom
/// URLs): the client's body goes to <c>{base}{path}</c> with the model replaced and the server's
/// bearer credential; the answer comes back as the provider sent it, read for what it used by the
/// endpoint's <paramref name="read"/>. Never streamed as server-sent events.
/// </summary>
internal sealed class MediaExchange(MediaRequest request, string path, Func<byte[], UpstreamAnswer> read) : IUpstreamExchange
{
    /// <inheritdoc />
    public bool RelaysBody { get; init; }

    /// <inheritdoc />
    public UnitUsage? Units { get; init; }

    /// <inheritdoc />
    public TokenUsage? StreamUsage => null;

    /// <inheritdoc />
    public long StreamContentBytes => 0;

    /// <inheritdoc />
    public ReadOnlyMemory<byte> StreamCompletion => default;

    /// <inheritdoc />
    public GatewayError? StreamFailure => null;

    /// <summary>Whether an OpenAI-compatible exchange can serve <paramref name="candidate"/>.</summary>
    public static bool Serves(RouteCandidate candidate) => candidate.Endpoint.Protocol == Providers.ProviderProtocol.OpenAICompatible;

    /// <inheritdoc />
    public ValueTask<HttpRequestMessage> CreateRequestAsync(RouteCandidate candidate, long? clampedMaxOutputTokens, CancellationToken cancellationToken)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, candidate.Endpoint.BaseUrl + path) { Content = request.ContentFor(candidate) };
        if (candidate.Endpoint.ApiKey is not null)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", candidate.Endpoint.ApiKey);
        }

        return ValueTask.FromResult(message);
    }

    /// <inheritdoc />
    public UpstreamAnswer ReadAnswer(byte[] upstreamBody) => read(upstreamBody);

    /// <inheritdoc />
    public byte[] ReadError(int status, byte[] upstreamBody) =>
        IsJsonObject(upstreamBody)
            ? upstreamBody
            : OpenAIErrorFormat.Instance.ToJson(GatewayError.Upstream(status, "upstream_error",
                $"The provider answered HTTP {status}: {System.Text.Encoding.UTF8.GetString(upstreamBody.AsSpan(0, Math.Min(upstreamBody.Length, 2048)))}"));

    /// <inheritdoc />
    public bool OnEvent(ReadOnlyMemory<byte> ev, IBufferWriter<byte> output) => true;

    /// <inheritdoc />
    public byte[] StreamFailureEvents(GatewayError error) => [];

    /// <summary>The root of a JSON answer, or null when it is not a JSON object.</summary>
    public static JsonElement? Root(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A non-negative integer property, or null.</summary>
    public static long? Long(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
        && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) && number >= 0 ? number : null;

    /// <summary>A non-negative decimal property, or null.</summary>
    public static decimal? Decimal(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
        && value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var number) && number >= 0 ? number : null;

    private static bool IsJsonObject(byte[] body) => Root(body) is not null;
}
