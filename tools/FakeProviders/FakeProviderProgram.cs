namespace Tollgate.FakeProviders;

/// <summary>
/// The standalone fake: <c>dotnet run --project tools/FakeProviders -c Release -- --urls http://127.0.0.1:9001 --Fake:ChunkDelayMs=10</c>.
/// <para>
/// Endpoints (<c>{p}</c> is any provider name, counted apart in the stats; without it the provider is
/// <c>openai</c> or <c>anthropic</c>): <c>POST [/{p}]/v1/chat/completions</c>, <c>POST [/{p}]/v1/responses</c>,
/// <c>GET [/{p}]/v1/responses/{id}</c>, <c>GET [/{p}]/v1/models</c> (bearer key);
/// <c>POST [/{p}]/v1/messages</c> and <c>POST [/{p}]/v1/messages/count_tokens</c> (<c>x-api-key</c> or bearer key,
/// <c>anthropic-version</c> required); <c>GET /_fake/stats</c>, <c>POST /_fake/reset</c>.
/// </para>
/// <para>
/// Knobs (see <see cref="FakeOptions"/>): <c>--Fake:Name=value</c> for the defaults, an <c>x-fake-name</c> header,
/// or <c>fake:name=value</c> in the last user message: <c>latency_ms</c>, <c>chunk_delay_ms</c>, <c>chunks</c>,
/// <c>status</c>, <c>cut_after</c>, <c>omit_usage</c>, <c>cached_tokens</c>, <c>cache_write_tokens</c>,
/// <c>reasoning_tokens</c>, <c>error_after</c>, <c>error_type</c>, <c>error_event</c>, <c>tool_call</c>, <c>tool_name</c>.
/// </para>
/// </summary>
public static class FakeProviderProgram
{
    /// <summary>Runs the fake until it is stopped.</summary>
    public static Task Main(string[] args)
    {
        var app = FakeApp.Build(args, configure: builder =>
            builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information));
        return app.RunAsync();
    }
}
