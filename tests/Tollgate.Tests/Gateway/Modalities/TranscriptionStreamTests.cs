using System.Net;
using Tollgate.Tests.Node;
using static Tollgate.Tests.Gateway.Modalities.ModalityKit;

namespace Tollgate.Tests.Gateway.Modalities;

/// <summary><c>/v1/audio/transcriptions</c> with <c>stream=true</c>: the provider's transcript events relayed, charged once at what the done event reports.</summary>
public sealed class TranscriptionStreamTests
{
    private static MultipartFormDataContent StreamForm(string model) =>
        Form(new Dictionary<string, string> { ["model"] = model, ["stream"] = "true" }, "file", "speech.wav", Wav(3), "audio/wav");

    [Fact]
    public async Task StreamByToken_DeltasRelayed_ChargedAtTheDoneEventsUsage()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/audio/transcriptions", StreamForm("mod-transcribe-tokens"), TestContext.Current.CancellationToken).WaitAsync(Wait);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(5, body.Split("\"type\":\"transcript.text.delta\"").Length - 1);
        Assert.Contains("\"type\":\"transcript.text.done\",\"text\":\"Hello from the fake transcription.\"", body, StringComparison.Ordinal);
        Assert.Contains("stream=true", Assert.Single(Upstream(host, "/v1/audio/transcriptions")).Body, StringComparison.Ordinal);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.True(row.Streamed);
        Assert.False(row.UsageEstimated);
        // 3 s at the fake's 10 audio tokens a second in, 5 words out.
        Assert.Equal(Pico(((30 * 2.5m) + (5 * 10m)) / 1_000_000m), row.CostPico);
    }

    [Fact]
    public async Task StreamPerMinute_ChargedTheSecondsTheDoneEventReports()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/audio/transcriptions", StreamForm("mod-whisper"), TestContext.Current.CancellationToken).WaitAsync(Wait);
        await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Pico(3 * 0.006m / 60), Assert.Single(await host.LedgerAsync()).CostPico);
    }

    [Fact]
    public async Task StreamCutBeforeItsEnd_ChargedTheBound_MarkedEstimated()
    {
        await using var host = await GatewayTestHost.StartAsync();
        host.Fake.Options.CutAfterChunks = 2;
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/audio/transcriptions", StreamForm("mod-transcribe-tokens"), TestContext.Current.CancellationToken).WaitAsync(Wait);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Contains("\"error\"", body, StringComparison.Ordinal);
        var row = Assert.Single(await host.WaitForLedgerAsync(1));
        Assert.True(row.UsageEstimated);
        // The bound: 50 tokens a second of the 3 s file in, the model's 2,000 maximum output out.
        Assert.Equal(Pico(((150 * 2.5m) + (2000 * 10m)) / 1_000_000m), row.CostPico);
    }

    [Fact]
    public async Task NpmSdkStream_ReadsEveryEvent()
    {
        await using var host = await GatewayTestHost.StartAsync();

        var result = await NodeProcess.NodeAsync("media.mjs", ["transcription-stream"], new Dictionary<string, string>
        {
            ["TOLLGATE_BASE_URL"] = host.Server.BaseAddress.ToString().TrimEnd('/'),
            ["TOLLGATE_KEY"] = host.Key,
        }, TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json();
        Assert.True(json.GetProperty("ok").GetBoolean(), json.ToString());
        Assert.Equal("Hello from the fake transcription.", json.Str("deltas"));
        Assert.Equal("Hello from the fake transcription.", json.Str("text"));
        Assert.Equal(5L, json.Long("outputTokens"));
        Assert.Equal("transcript.text.done", json.GetProperty("types").EnumerateArray().Last().GetString());
        Assert.Single(await host.LedgerAsync());
    }
}
