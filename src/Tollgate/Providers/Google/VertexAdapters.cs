using System.Net.Http.Headers;
using System.Text.Json;
using Tollgate.Gateway.Pipeline;

namespace Tollgate.Providers.Google;

/// <summary>
/// Vertex AI URLs: <c>https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}/publishers/{publisher}/models/{model}:{method}</c>,
/// the host without a location prefix for location <c>global</c>, and the scheme and host of a
/// configured <c>BaseUrl</c> instead when one is set (tests, private endpoints). A Vertex mapping serves
/// an Anthropic model when its provider model id starts with <c>claude</c>; otherwise a Gemini model.
/// </summary>
internal static class VertexUrls
{
    /// <summary>The provider root when no <c>BaseUrl</c> is configured (the directory's default).</summary>
    public const string DefaultRoot = "https://aiplatform.googleapis.com";

    /// <summary>True for a Vertex model id served by Anthropic's publisher (Claude), false for Google's.</summary>
    public static bool IsClaude(string providerModel) => providerModel.StartsWith("claude", StringComparison.OrdinalIgnoreCase);

    /// <summary>The model URL for <paramref name="method"/> (<c>:generateContent</c>, <c>:rawPredict</c>, ...).</summary>
    public static string Model(ProviderEndpoint endpoint, string publisher, string providerModel, string method)
    {
        var project = endpoint.ProjectId ?? throw new HttpRequestException($"The provider '{endpoint.Name}' has no ProjectId configured.");
        var location = endpoint.Location ?? throw new HttpRequestException($"The provider '{endpoint.Name}' has no Location configured.");
        var root = endpoint.BaseUrl != DefaultRoot
            ? endpoint.BaseUrl
            : location == "global" ? DefaultRoot : $"https://{location}-aiplatform.googleapis.com";
        return $"{root}/v1/projects/{Uri.EscapeDataString(project)}/locations/{Uri.EscapeDataString(location)}/publishers/{publisher}/models/{ModelSegment(providerModel)}{method}";
    }

    // Vertex model ids pin versions with '@' (claude-sonnet-4@20250514), which the URL keeps as it is.
    private static string ModelSegment(string providerModel) => Uri.EscapeDataString(providerModel).Replace("%40", "@", StringComparison.Ordinal);

    /// <summary>A JSON POST with the service account's access token as the bearer.</summary>
    public static async ValueTask<HttpRequestMessage> AuthorizedPostAsync(
        VertexTokenSource tokens, ProviderEndpoint endpoint, string url, byte[] body, CancellationToken cancellationToken)
    {
        var json = endpoint.ServiceAccountJson ?? throw new HttpRequestException($"The provider '{endpoint.Name}' has no ServiceAccountJson configured.");
        var token = await tokens.GetTokenAsync(json, cancellationToken).ConfigureAwait(false);
        var request = GeminiAdapter.JsonPost(url, body);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }
}

/// <summary>Gemini on Vertex AI: <c>publishers/google/models/{model}:generateContent</c> / <c>:streamGenerateContent?alt=sse</c>.</summary>
internal sealed class VertexGeminiAdapter(VertexTokenSource tokens) : IChatProviderAdapter
{
    /// <inheritdoc />
    public ValueTask<HttpRequestMessage> CreateRequestAsync(
        ProviderEndpoint endpoint, string providerModel, byte[] body, bool stream, CancellationToken cancellationToken) =>
        VertexUrls.AuthorizedPostAsync(tokens, endpoint, VertexUrls.Model(endpoint, "google", providerModel, GeminiAdapter.GeminiMethod(stream)), body, cancellationToken);
}

/// <summary>
/// Claude on Vertex AI: <c>publishers/anthropic/models/{model}:rawPredict</c> / <c>:streamRawPredict</c>,
/// with an Anthropic Messages body whose model is in the URL instead (no <c>model</c> field) and whose API
/// version is the body's <c>anthropic_version</c>, <see cref="Version"/>. Vertex takes no
/// <c>anthropic-version</c> header (a client's is not forwarded: the body's version rules), but beta
/// features come as Anthropic's <c>anthropic-beta</c> header, as Anthropic's Vertex SDKs send them.
/// </summary>
internal sealed class VertexAnthropicAdapter(VertexTokenSource tokens) : IChatProviderAdapter
{
    /// <summary>The Anthropic API version Vertex takes in the body.</summary>
    public const string Version = "vertex-2023-10-16";

    private static readonly byte[] VersionProperty = "\"anthropic_version\":\"vertex-2023-10-16\","u8.ToArray();

    /// <inheritdoc />
    public ValueTask<HttpRequestMessage> CreateRequestAsync(
        ProviderEndpoint endpoint, string providerModel, byte[] body, bool stream, CancellationToken cancellationToken) =>
        VertexUrls.AuthorizedPostAsync(tokens, endpoint,
            VertexUrls.Model(endpoint, "anthropic", providerModel, stream ? ":streamRawPredict" : ":rawPredict"), ToVertexBody(body), cancellationToken);

    /// <summary>
    /// The request for a Messages body passed through from a client, with the client's
    /// <c>anthropic-beta</c> flags (comma-separated, as sent) when it gave any.
    /// </summary>
    public async ValueTask<HttpRequestMessage> CreateRequestAsync(
        ProviderEndpoint endpoint, string providerModel, byte[] body, bool stream, string? beta, CancellationToken cancellationToken)
    {
        var request = await CreateRequestAsync(endpoint, providerModel, body, stream, cancellationToken).ConfigureAwait(false);
        if (!string.IsNullOrWhiteSpace(beta))
        {
            request.Headers.TryAddWithoutValidation(BetaHeader, beta);
        }

        return request;
    }

    /// <summary>The header that carries Anthropic beta flags, on Vertex as on Anthropic's API.</summary>
    public const string BetaHeader = "anthropic-beta";

    /// <summary>
    /// A Messages body as Vertex takes it: <c>model</c> (and any <c>anthropic_version</c>) removed and
    /// <c>"anthropic_version":"vertex-2023-10-16"</c> added first, the rest spliced through byte for byte.
    /// </summary>
    internal static byte[] ToVertexBody(byte[] body)
    {
        var edits = new List<(int Start, int End, byte[] Bytes)>(3);
        var reader = new Utf8JsonReader(body);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return body;
        }

        edits.Add(((int)reader.BytesConsumed, (int)reader.BytesConsumed, VersionProperty));
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var start = (int)reader.TokenStartIndex;
            var drop = reader.ValueTextEquals("model"u8) || reader.ValueTextEquals("anthropic_version"u8);
            reader.Read();
            reader.Skip();
            if (drop)
            {
                edits.Add((start, WithComma(body, (int)reader.BytesConsumed), []));
            }
        }

        var rewritten = JsonSplice.Apply(body, edits);

        // The inserted property ends with a comma: a body that had no other property closes right after it.
        var last = rewritten.AsSpan().TrimEnd(" \t\r\n"u8);
        if (last.Length >= 2 && last[^1] == (byte)'}')
        {
            var beforeBrace = last[..^1].TrimEnd(" \t\r\n"u8);
            if (beforeBrace.Length > 0 && beforeBrace[^1] == (byte)',')
            {
                return [.. beforeBrace[..^1], (byte)'}'];
            }
        }

        return rewritten;
    }

    // A removed property takes its trailing comma with it, so the object stays valid.
    private static int WithComma(byte[] body, int end)
    {
        var at = end;
        while (at < body.Length && body[at] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            at++;
        }

        return at < body.Length && body[at] == (byte)',' ? at + 1 : end;
    }
}
