using System.Net;
using OpenAI.Audio;
using static Tollgate.Tests.Gateway.Modalities.ModalityKit;

namespace Tollgate.Tests.Gateway.Modalities;

/// <summary><c>POST /v1/audio/transcriptions</c>: mod-whisper is $0.006 a minute; mod-transcribe-tokens $2.5 / $10 per million tokens.</summary>
public sealed class TranscriptionTests
{
    [Fact]
    public async Task Sdk_Json_BilledAtTheReportedSeconds()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var client = Sdk(host).GetAudioClient("mod-whisper");

        using var audio = new MemoryStream(Wav(3));
        var text = (await client.TranscribeAudioAsync(audio, "speech.wav", new AudioTranscriptionOptions(), TestContext.Current.CancellationToken).WaitAsync(Wait)).Value;

        Assert.Equal("Hello from the fake transcription.", text.Text);
        var upstream = Assert.Single(Upstream(host, "/v1/audio/transcriptions"));
        Assert.Contains("model=mod-upstream-whisper\n", upstream.Body, StringComparison.Ordinal);
        Assert.Contains("file=@speech.wav;", upstream.Body, StringComparison.Ordinal);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("audio.transcriptions", "ok", false), (row.Endpoint, row.Status, row.UsageEstimated));
        Assert.Equal(Pico(3 * 0.006m / 60), row.CostPico);
    }

    [Fact]
    public async Task Sdk_Verbose_DurationReadByTheSdk_BilledOnce()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var client = Sdk(host).GetAudioClient("mod-whisper");

        using var audio = new MemoryStream(Wav(2));
        var text = (await client.TranscribeAudioAsync(audio, "speech.wav", new AudioTranscriptionOptions { ResponseFormat = AudioTranscriptionFormat.Verbose },
            TestContext.Current.CancellationToken).WaitAsync(Wait)).Value;

        Assert.Equal(TimeSpan.FromSeconds(2), text.Duration);
        Assert.Single(text.Segments);
        Assert.Equal(Pico(2 * 0.006m / 60), Assert.Single(await host.LedgerAsync()).CostPico);
    }

    [Theory]
    [InlineData("srt", "00:00:04,000")]
    [InlineData("vtt", "WEBVTT")]
    [InlineData("text", "Hello from the fake transcription.")]
    public async Task PlainFormats_RelayedAsText_ChargedTheHeaderDurationMarkedEstimated(string format, string expected)
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/audio/transcriptions",
            Form(new Dictionary<string, string> { ["model"] = "mod-whisper", ["response_format"] = format }, "file", "a.wav", Wav(4), "audio/wav"),
            TestContext.Current.CancellationToken).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal((true, Pico(4 * 0.006m / 60)), (row.UsageEstimated, row.CostPico));
    }

    [Fact]
    public async Task TokenPricedModel_BilledAtTheReportedTokens()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var client = Sdk(host).GetAudioClient("mod-transcribe-tokens");

        using var audio = new MemoryStream(Wav(3));
        await client.TranscribeAudioAsync(audio, "speech.wav", new AudioTranscriptionOptions(), TestContext.Current.CancellationToken).WaitAsync(Wait);

        // The fake hears 10 audio tokens a second and writes 5 words.
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal((30L, 5L), (row.InputTokens, row.OutputTokens));
        Assert.Equal(Pico(((30 * 2.5m) + (5 * 10m)) / 1_000_000m), row.CostPico);
    }

    [Fact]
    public async Task UploadOverTheLimit_413_NeverSentNorBilled()
    {
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Gateway:MaxUploadBytes"] = "20000" });
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/audio/transcriptions",
            Form(new Dictionary<string, string> { ["model"] = "mod-whisper" }, "file", "a.wav", Wav(2), "audio/wav"), TestContext.Current.CancellationToken).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("20000 bytes", await ErrorMessageAsync(response), StringComparison.Ordinal);
        Assert.Empty(Upstream(host, "/v1/audio/transcriptions"));
        Assert.Empty(await host.LedgerAsync());
    }
}
