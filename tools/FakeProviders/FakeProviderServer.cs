using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Tollgate.FakeProviders;

/// <summary>
/// The fake providers on Kestrel at 127.0.0.1, for tests and benchmarks. Each test starts its own
/// and disposes it. Point a provider's base URL at <see cref="OpenAIBaseUrl"/> (Chat Completions,
/// Responses) or <see cref="AnthropicBaseUrl"/> (Messages).
/// </summary>
public sealed class FakeProviderServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RequestLog _log;

    private FakeProviderServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        _log = app.Services.GetRequiredService<RequestLog>();
        BaseAddress = baseAddress;
        Options = app.Services.GetRequiredService<FakeOptions>();
        Stats = app.Services.GetRequiredService<FakeStats>();
    }

    /// <summary><c>http://127.0.0.1:{port}/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Live counters, in total and per provider.</summary>
    public FakeStats Stats { get; }

    /// <summary>The defaults every request starts from; change them between requests as needed.</summary>
    public FakeOptions Options { get; }

    /// <summary>The last 200 requests to a provider endpoint, newest last.</summary>
    public IReadOnlyList<RecordedRequest> Requests => _log.Snapshot();

    /// <summary>Starts a server on <paramref name="port"/> (0: a free port).</summary>
    public static async Task<FakeProviderServer> StartAsync(FakeOptions? options = null, int port = 0, CancellationToken ct = default)
    {
        var app = FakeApp.Build([], options ?? new FakeOptions(), builder =>
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}"));
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FakeProviderServer(app, new Uri(address.TrimEnd('/') + "/"));
    }

    /// <summary><c>http://127.0.0.1:{port}/{provider}/v1</c>: the base URL an OpenAI client or a provider setting takes.</summary>
    public string OpenAIBaseUrl(string provider = "openai") => $"{BaseAddress}{provider}/v1";

    /// <summary>
    /// <c>http://127.0.0.1:{port}/{provider}</c>: the base URL an Anthropic client takes (it posts to
    /// <c>{base}/v1/messages</c>, as to <c>https://api.anthropic.com</c>).
    /// </summary>
    public string AnthropicBaseUrl(string provider = "anthropic") => $"{BaseAddress}{provider}";

    /// <summary>
    /// <c>http://127.0.0.1:{port}/{provider}</c>: the base URL of the Bedrock runtime fake (it serves
    /// <c>{base}/model/{modelId}/converse</c> and <c>/converse-stream</c>, as <c>bedrock-runtime.{region}.amazonaws.com</c> does).
    /// </summary>
    public string BedrockBaseUrl(string provider = "bedrock") => $"{BaseAddress}{provider}";

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }
}
