using System.Diagnostics;
using System.Text.Json;
using Tollgate.FakeProviders;

namespace Tollgate.Tests.FakeProviders;

/// <summary>Where the knobs come from: configuration, the live options, and timing.</summary>
public sealed class FakeOptionsTests
{
    private static readonly TimeSpan Timeout = FakeHttp.Timeout;

    [Fact]
    public async Task FakeApp_FakeConfigurationSection_BindsOptions()
    {
        await using var app = FakeApp.Build([
            "--Fake:ChunkDelayMs=10", "--Fake:Chunks=7", "--Fake:CutAfterChunks=3", "--Fake:RequireApiKey=sk-x",
            "--Fake:ErrorAfterChunks=2", "--Fake:ErrorType=api_error", "--Fake:ErrorEvent=error", "--Fake:ToolCall=true", "--Fake:CacheWriteTokens=4"]);

        var options = app.Services.GetRequiredService<FakeOptions>();

        Assert.Equal(2, options.ErrorAfterChunks);
        Assert.Equal("api_error", options.ErrorType);
        Assert.Equal("error", options.ErrorEvent);
        Assert.True(options.ToolCall);
        Assert.Equal(4, options.CacheWriteTokens);
        Assert.Equal(10, options.ChunkDelayMs);
        Assert.Equal(7, options.Chunks);
        Assert.Equal(3, options.CutAfterChunks);
        Assert.Equal("sk-x", options.RequireApiKey);
        Assert.Null(options.Status);
    }

    [Fact]
    public async Task Options_ChangedBetweenRequests_ApplyToTheNextRequest()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        server.Options.Chunks = 2;
        using var first = JsonDocument.Parse(await (await FakeHttp.PostAsync(client, FakeHttp.Body())).Content.ReadAsStringAsync().WaitAsync(Timeout));
        server.Options.Chunks = 1;
        using var second = JsonDocument.Parse(await (await FakeHttp.PostAsync(client, FakeHttp.Body())).Content.ReadAsStringAsync().WaitAsync(Timeout));

        Assert.Equal(2, first.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(1, second.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Theory]
    [InlineData("anthropic/v1/messages")]
    [InlineData("openai/v1/responses")]
    public async Task NamedEventStream_LatencyAndChunkDelay_SpaceTheEvents(string path)
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { Chunks = 2 }).WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);
        const string Text = "fake:latency_ms=100 fake:chunk_delay_ms=50";
        var body = path.StartsWith("anthropic", StringComparison.Ordinal) ? FakeHttp.MessagesBody(Text, stream: true) : FakeHttp.ResponsesBody(Text, stream: true);
        var clock = Stopwatch.StartNew();

        using var response = await FakeHttp.PostAsync(client, body, path, FakeHttp.AnthropicHeaders);
        var headersAfter = clock.Elapsed;
        var (events, error) = await FakeHttp.ReadNamedEventsAsync(response);

        Assert.Null(error);
        Assert.Contains(events[^1].Name, (string[])["message_stop", "response.completed"]);
        Assert.True(headersAfter >= TimeSpan.FromMilliseconds(90), $"headers after {headersAfter}");
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(190), $"stream over after {clock.Elapsed}");
    }

    [Fact]
    public async Task Stream_LatencyAndChunkDelay_SpaceTheEvents()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { Chunks = 2 }).WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);
        var clock = Stopwatch.StartNew();

        using var response = await FakeHttp.PostAsync(client, FakeHttp.Body("fake:latency_ms=100 fake:chunk_delay_ms=50", stream: true));
        var headersAfter = clock.Elapsed;
        var (events, error) = await FakeHttp.ReadEventsAsync(response);

        Assert.Null(error);
        Assert.Equal(1 + 2 + 1 + 1, events.Count);
        Assert.True(headersAfter >= TimeSpan.FromMilliseconds(90), $"headers after {headersAfter}");
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(190), $"stream over after {clock.Elapsed}");
    }
}
