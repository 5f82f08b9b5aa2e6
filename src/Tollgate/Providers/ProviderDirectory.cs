using System.Net;

namespace Tollgate.Providers;

/// <summary>The wire protocol a provider speaks.</summary>
public enum ProviderProtocol
{
    /// <summary>OpenAI REST (Chat Completions, ...): OpenAI, Mistral, Cerebras, Groq, DeepSeek, xAI, Together, custom URLs.</summary>
    OpenAICompatible,

    /// <summary>Anthropic Messages.</summary>
    Anthropic,

    /// <summary>Gemini generateContent (Google AI Studio).</summary>
    Gemini,

    /// <summary>Google Vertex AI.</summary>
    Vertex,

    /// <summary>AWS Bedrock Converse.</summary>
    Bedrock,

    /// <summary>The built-in demo provider (<c>--demo</c>), answering in process with the OpenAI protocol.</summary>
    Demo,
}

/// <summary>A provider as this server is configured to reach it.</summary>
/// <param name="Name">Provider name (<c>openai</c>, <c>mistral</c>, ...).</param>
/// <param name="Protocol">Its wire protocol.</param>
/// <param name="BaseUrl">Endpoint root as the provider's official SDK takes it (no trailing slash).</param>
/// <param name="ApiKey">Server-wide credential, if any.</param>
/// <param name="IsConfigured">True when the server may send traffic to it (a key, or an explicit base URL).</param>
public sealed record ProviderEndpoint(string Name, ProviderProtocol Protocol, string BaseUrl, string? ApiKey, bool IsConfigured)
{
    /// <summary>
    /// The provider takes an output limit in <c>max_completion_tokens</c> (OpenAI's current field)
    /// rather than the older <c>max_tokens</c> that other OpenAI-compatible providers read.
    /// </summary>
    public bool PrefersMaxCompletionTokens { get; init; }

    /// <summary>The provider serves OpenAI's Responses API (<c>POST {base}/responses</c>), so Responses requests pass through.</summary>
    public bool SpeaksResponses { get; init; }

    /// <summary>AWS access key id (Bedrock).</summary>
    public string? AccessKeyId { get; init; }

    /// <summary>AWS secret access key (Bedrock).</summary>
    public string? SecretAccessKey { get; init; }

    /// <summary>
    /// AWS session token (Bedrock) of temporary credentials from AWS STS (an assumed role, SSO): signed
    /// into every request as <c>x-amz-security-token</c>. Null for long-term access keys.
    /// </summary>
    public string? SessionToken { get; init; }

    /// <summary>AWS region (Bedrock), e.g. <c>us-east-1</c>.</summary>
    public string? Region { get; init; }

    /// <summary>Google service-account key JSON (Vertex).</summary>
    public string? ServiceAccountJson { get; init; }

    /// <summary>Google Cloud project id (Vertex).</summary>
    public string? ProjectId { get; init; }

    /// <summary>Vertex location (<c>us-central1</c>, <c>global</c>, ...).</summary>
    public string? Location { get; init; }

    /// <summary>Whose credential this endpoint carries: the server's, or an organization's own key.</summary>
    public CredentialSource Source { get; init; } = CredentialSource.Server;

    /// <summary>The organization's provider key id when <see cref="Source"/> is <see cref="CredentialSource.Org"/>.</summary>
    public string? OrgProviderKeyId { get; init; }

    /// <summary>
    /// <see cref="BaseUrl"/> was set by an organization (its provider key), not by the server's
    /// configuration: traffic goes through the client that refuses private addresses at connect time.
    /// </summary>
    public bool BaseUrlFromOrg { get; init; }

    /// <summary>How the provider's OpenAI-like chat dialect differs from OpenAI's (Mistral).</summary>
    public ChatDialect Dialect { get; init; }

    /// <summary>Every secret this endpoint carries, to scrub from anything shown or logged.</summary>
    public IEnumerable<string> Secrets() =>
        new[] { ApiKey, SecretAccessKey, SessionToken, ServiceAccountJson }.Where(s => !string.IsNullOrEmpty(s)).Select(s => s!);
}

/// <summary>An OpenAI-compatible provider's departures from OpenAI's Chat Completions request.</summary>
public enum ChatDialect
{
    /// <summary>OpenAI's fields as they are.</summary>
    OpenAI,

    /// <summary>
    /// Mistral: <c>random_seed</c> instead of <c>seed</c>, <c>tool_choice: "any"</c> instead of
    /// <c>"required"</c>, no <c>stream_options</c> (usage comes in the last chunk anyway), and no
    /// OpenAI-only fields it rejects (<c>user</c>, <c>logit_bias</c>, <c>store</c>, ...).
    /// </summary>
    Mistral,
}

/// <summary>Whose credential serves a request.</summary>
public enum CredentialSource
{
    /// <summary>The server's own key from configuration.</summary>
    Server,

    /// <summary>The organization's own provider key (bring your own key): never consumes org credits.</summary>
    Org,
}

/// <summary>
/// Provider endpoints from <c>Tollgate:Providers:{name}:BaseUrl/ApiKey</c>, with the providers'
/// public URLs as defaults, and the one shared <see cref="HttpClient"/> that carries upstream traffic.
/// </summary>
public sealed class ProviderDirectory : IDisposable
{
    /// <summary>Name of the built-in demo provider.</summary>
    public const string DemoProvider = "demo";

    private static readonly Dictionary<string, (ProviderProtocol Protocol, string BaseUrl)> Known = new(StringComparer.Ordinal)
    {
        ["openai"] = (ProviderProtocol.OpenAICompatible, "https://api.openai.com/v1"),
        ["mistral"] = (ProviderProtocol.OpenAICompatible, "https://api.mistral.ai/v1"),
        ["cerebras"] = (ProviderProtocol.OpenAICompatible, "https://api.cerebras.ai/v1"),
        ["groq"] = (ProviderProtocol.OpenAICompatible, "https://api.groq.com/openai/v1"),
        ["deepseek"] = (ProviderProtocol.OpenAICompatible, "https://api.deepseek.com/v1"),
        ["xai"] = (ProviderProtocol.OpenAICompatible, "https://api.x.ai/v1"),
        ["together"] = (ProviderProtocol.OpenAICompatible, "https://api.together.xyz/v1"),
        ["anthropic"] = (ProviderProtocol.Anthropic, "https://api.anthropic.com"),
        ["google"] = (ProviderProtocol.Gemini, "https://generativelanguage.googleapis.com"),
        ["vertex"] = (ProviderProtocol.Vertex, "https://aiplatform.googleapis.com"),
        ["bedrock"] = (ProviderProtocol.Bedrock, "https://bedrock-runtime.us-east-1.amazonaws.com"),
    };

    private readonly Dictionary<string, ProviderEndpoint> _endpoints = new(StringComparer.Ordinal);

    public ProviderDirectory(IConfiguration configuration, bool demo)
    {
        var section = configuration.GetSection("Tollgate:Providers");
        foreach (var (name, known) in Known)
        {
            var baseUrl = section[$"{name}:BaseUrl"];
            var apiKey = section[$"{name}:ApiKey"];
            var accessKeyId = NonEmpty(section[$"{name}:AccessKeyId"]);
            var secretAccessKey = NonEmpty(section[$"{name}:SecretAccessKey"]);
            var serviceAccountJson = NonEmpty(section[$"{name}:ServiceAccountJson"]);
            _endpoints[name] = new ProviderEndpoint(
                name,
                known.Protocol,
                (string.IsNullOrWhiteSpace(baseUrl) ? known.BaseUrl : baseUrl).TrimEnd('/'),
                NonEmpty(apiKey),
                IsConfigured: !string.IsNullOrEmpty(apiKey) || !string.IsNullOrWhiteSpace(baseUrl)
                    || (accessKeyId is not null && secretAccessKey is not null) || serviceAccountJson is not null)
            {
                PrefersMaxCompletionTokens = name == "openai",
                Dialect = name == "mistral" ? ChatDialect.Mistral : ChatDialect.OpenAI,
                SpeaksResponses = name == "openai",
                AccessKeyId = accessKeyId,
                SecretAccessKey = secretAccessKey,
                SessionToken = NonEmpty(section[$"{name}:SessionToken"]),
                Region = NonEmpty(section[$"{name}:Region"]),
                ServiceAccountJson = serviceAccountJson,
                ProjectId = NonEmpty(section[$"{name}:ProjectId"]),
                Location = NonEmpty(section[$"{name}:Location"]),
            };
        }

        // Any other name with a base URL is a custom OpenAI-compatible provider (vLLM, Ollama, ...).
        foreach (var child in section.GetChildren())
        {
            if (_endpoints.ContainsKey(child.Key) || child.Key == DemoProvider || string.IsNullOrWhiteSpace(child["BaseUrl"]))
            {
                continue;
            }

            var apiKey = child["ApiKey"];
            _endpoints[child.Key] = new ProviderEndpoint(child.Key, ProviderProtocol.OpenAICompatible, child["BaseUrl"]!.TrimEnd('/'),
                string.IsNullOrEmpty(apiKey) ? null : apiKey, IsConfigured: true);
        }

        if (demo)
        {
            _endpoints[DemoProvider] = new ProviderEndpoint(DemoProvider, ProviderProtocol.Demo, Demo.DemoHandler.BaseUrl, null, IsConfigured: true);
        }

        Http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            MaxConnectionsPerServer = int.MaxValue,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            // Client spans are recorded (when traces are exported), as children of the attempt's span, but no
            // trace header goes to a provider: a propagator that writes nothing. (Without any propagator the
            // handler records no span at all.)
            ActivityHeadersPropagator = System.Diagnostics.DistributedContextPropagator.CreateNoOutputPropagator(),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan, // per-attempt timeouts are the gateway's
        };
        DemoHttp = new HttpClient(new Demo.DemoHandler()) { Timeout = Timeout.InfiniteTimeSpan };

        // Base URLs that orgs set go through their own client: every connection is checked after DNS
        // resolution, so neither a private literal nor a name resolving to one reaches the server's network.
        Guard = ProviderKeys.BaseUrlGuard.FromConfiguration(configuration);
        OrgHttp = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            MaxConnectionsPerServer = int.MaxValue,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ConnectCallback = Guard.ConnectAsync,
            ActivityHeadersPropagator = System.Diagnostics.DistributedContextPropagator.CreateNoOutputPropagator(),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>What org base URLs may reach (<c>Tollgate:Providers:AllowPrivateBaseUrls</c>).</summary>
    internal ProviderKeys.BaseUrlGuard Guard { get; }

    /// <summary>The client for base URLs set by organizations: connections to private addresses are refused.</summary>
    public HttpClient OrgHttp { get; }

    /// <summary>The client for real upstream traffic.</summary>
    public HttpClient Http { get; }

    /// <summary>The in-process client of the demo provider.</summary>
    public HttpClient DemoHttp { get; }

    /// <summary>All known endpoints.</summary>
    public IEnumerable<ProviderEndpoint> Endpoints => _endpoints.Values;

    /// <summary>The endpoint of a provider, or null for an unknown name.</summary>
    public ProviderEndpoint? Get(string name) => _endpoints.GetValueOrDefault(name);

    /// <summary>The client that reaches <paramref name="endpoint"/>.</summary>
    public HttpClient ClientFor(ProviderEndpoint endpoint) =>
        endpoint.Protocol == ProviderProtocol.Demo ? DemoHttp : endpoint.BaseUrlFromOrg ? OrgHttp : Http;

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    /// <inheritdoc />
    public void Dispose()
    {
        Http.Dispose();
        DemoHttp.Dispose();
        OrgHttp.Dispose();
    }
}
