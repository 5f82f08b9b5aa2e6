using Tollgate.Budgets;
using Tollgate.Tests.Gateway;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Node;

/// <summary>
/// The npm <c>openai</c> package (run with node, <c>tests/node/media.mjs</c>) against the gateway:
/// embeddings, speech, transcriptions, image generation and edit, each billed once in its unit.
/// </summary>
public sealed class NpmMediaTests
{
    private static Task<System.Text.Json.JsonElement> RunAsync(GatewayTestHost host, string name) => NpmSdkRun.OkAsync(host, "media.mjs", name);

    [Fact]
    public async Task EveryMediaEndpoint_ReadByTheSdk_EachBilledOnceInItsUnit()
    {
        await using var host = await GatewayTestHost.StartAsync();

        var embeddings = await RunAsync(host, "embeddings");
        var speech = await RunAsync(host, "speech");
        var transcription = await RunAsync(host, "transcription");
        var generated = await RunAsync(host, "image-generate");
        var edited = await RunAsync(host, "image-edit");

        Assert.Equal((2L, 5L), (embeddings.Long("count"), embeddings.Long("promptTokens")));
        Assert.Equal((5L * 4096, "audio/mpeg"), (speech.Long("bytes"), speech.Str("contentType")));
        Assert.Equal("Hello from the fake transcription.", transcription.Str("text"));
        Assert.Equal(2L, generated.Long("count"));
        Assert.False(string.IsNullOrEmpty(generated.Str("b64")));
        Assert.Equal(1L, edited.Long("count"));
        var rows = await host.LedgerAsync();
        Assert.Equal(["embeddings", "audio.speech", "audio.transcriptions", "images.generations", "images.edits"], rows.Select(r => r.Endpoint));
        Assert.Equal(
            [Money.ToPico(5 * 0.1m / 1_000_000m), Money.ToPico(11 * 15m / 1_000_000m), Money.ToPico(3 * 0.006m / 60), Money.ToPico(2 * 0.167m), Money.ToPico(0.011m)],
            rows.Select(r => r.CostPico));
    }

    [Fact]
    public async Task KeyAtZero_TheSdkRaisesTheBudgetDenial_NothingSent()
    {
        await using var host = await GatewayTestHost.StartAsync();
        await PutOkAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/budget", """{"spend":{"type":"fixed","limit":"0"}}""");

        var denied = await RunAsync(host, "embeddings-denied");

        Assert.True(denied.GetProperty("denied").GetBoolean(), denied.ToString());
        Assert.Equal((403L, "key_budget_exceeded", "budget_exceeded"), (denied.Long("status"), denied.Str("code"), denied.Str("type")));
        Assert.Empty(host.Fake.Requests);
        Assert.Empty(await host.LedgerAsync());
    }
}
