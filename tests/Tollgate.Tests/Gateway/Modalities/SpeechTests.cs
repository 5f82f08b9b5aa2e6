using System.Net;
using OpenAI.Audio;
using static Tollgate.Tests.Gateway.Modalities.ModalityKit;

namespace Tollgate.Tests.Gateway.Modalities;

/// <summary><c>POST /v1/audio/speech</c>: binary audio relayed as it arrives; mod-tts is $15 per million characters.</summary>
public sealed class SpeechTests
{
    private const int FakeChunkBytes = 4096;

    [Fact]
    public async Task Sdk_GenerateSpeech_AudioBytesRelayedAndBilledPerCharacter()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var client = Sdk(host).GetAudioClient("mod-tts");

        var audio = (await client.GenerateSpeechAsync("Héllo, world!", GeneratedSpeechVoice.Alloy,
            new SpeechGenerationOptions { ResponseFormat = GeneratedSpeechFormat.Wav }, TestContext.Current.CancellationToken).WaitAsync(Wait)).Value;

        // The fake sends 5 chunks of 4096 bytes by default.
        Assert.Equal(5 * FakeChunkBytes, audio.ToArray().Length);
        Assert.Contains("\"model\":\"mod-upstream-tts\"", Assert.Single(Upstream(host, "/v1/audio/speech")).Body, StringComparison.Ordinal);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("audio.speech", "ok", false), (row.Endpoint, row.Status, row.UsageEstimated));
        Assert.Equal(Pico(13 * 15m / 1_000_000m), row.CostPico); // 13 characters, é counted once
    }

    [Fact]
    public async Task SlowAudio_FirstBytesReachTheClientBeforeTheProviderHasFinished()
    {
        await using var host = await GatewayTestHost.StartAsync();
        host.Fake.Options.Chunks = 3;
        host.Fake.Options.ChunkDelayMs = 1500;
        using var client = host.GatewayClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/audio/speech")
        {
            Content = Json("""{"model":"mod-tts","input":"streamed","voice":"alloy","response_format":"mp3"}"""),
        };

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken).WaitAsync(Wait);
        await using var body = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
        var first = new byte[FakeChunkBytes];
        await body.ReadExactlyAsync(first, TestContext.Current.CancellationToken).AsTask().WaitAsync(Wait);

        // The first chunk is out while the provider still has a chunk to send: nothing is settled yet.
        Assert.Empty(await host.LedgerAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("audio/mpeg", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(response.Content.Headers.ContentLength);
        Assert.True(response.Headers.TransferEncodingChunked);
        var rest = new MemoryStream();
        await body.CopyToAsync(rest, TestContext.Current.CancellationToken).WaitAsync(Wait);
        Assert.Equal(2 * FakeChunkBytes, rest.Length);
        var row = Assert.Single(await host.WaitForLedgerAsync(1));
        Assert.Equal(Pico(8 * 15m / 1_000_000m), row.CostPico);
    }

    [Fact]
    public async Task ProviderCutsTheAudio_ClientNeverSeesACompleteAnswer_CharactersStillCharged()
    {
        await using var host = await GatewayTestHost.StartAsync();
        host.Fake.Options.Chunks = 4;
        host.Fake.Options.ChunkDelayMs = 300;
        host.Fake.Options.CutAfterChunks = 2;
        using var client = host.GatewayClient();

        // Once audio bytes went out the body is cut (the read fails); if the cut came before any byte
        // went out (both chunks read at once), the client gets a 502 instead. Never a whole-looking 200.
        var failure = await Record.ExceptionAsync(async () =>
        {
            using var response = await client.PostAsync("v1/audio/speech", Json("""{"model":"mod-tts","input":"cut short","voice":"alloy"}"""),
                TestContext.Current.CancellationToken).WaitAsync(Wait);
            await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken).WaitAsync(Wait);
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        });

        Assert.True(failure is null or HttpRequestException or IOException, failure?.ToString());
        var row = Assert.Single(await host.WaitForLedgerAsync(1));
        Assert.Equal(("failed", Pico(9 * 15m / 1_000_000m)), (row.Status, row.CostPico));
    }

    [Fact]
    public async Task ProviderRefuses_ErrorPassedThrough_NothingCharged()
    {
        await using var host = await GatewayTestHost.StartAsync();
        host.Fake.Options.Status = 400;
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/audio/speech", Json("""{"model":"mod-tts","input":"refused","voice":"alloy"}"""),
            TestContext.Current.CancellationToken).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"error\"", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("upstream_error", 0L), (row.Status, row.CostPico));
    }
}
