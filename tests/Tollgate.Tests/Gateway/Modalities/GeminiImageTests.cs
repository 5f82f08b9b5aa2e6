using System.Net;
using System.Text.Json;
using OpenAI.Images;
using static Tollgate.Tests.Gateway.Modalities.ModalityKit;

namespace Tollgate.Tests.Gateway.Modalities;

/// <summary>
/// <c>/v1/images/generations</c> and <c>/v1/images/edits</c> served by a Gemini image model on AI Studio
/// and Vertex: one <c>generateContent</c> asking for <c>IMAGE</c> out, the answer's <c>inlineData</c> as
/// OpenAI's <c>b64_json</c>, charged per image (or by image tokens) as the catalog says.
/// </summary>
public sealed class GeminiImageTests
{
    private const string FakePng = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
    private const long ImageTokens = 1290; // what the fake reports for one image

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static global::Tollgate.FakeProviders.RecordedRequest Gemini(GatewayTestHost host) =>
        host.Fake.Requests.Last(r => r.Path.EndsWith(":generateContent", StringComparison.Ordinal));

    [Theory]
    [InlineData("gemini-image-test", "/v1beta/models/gemini-image-upstream:generateContent")]
    [InlineData("gemini-image-vertex-test", "/v1/projects/tollgate-test/locations/us-central1/publishers/google/models/gemini-image-vertex-upstream:generateContent")]
    public async Task Generation_WithTheOfficialSdk_IsOneGenerateContentForAnImage_ChargedPerImagePlusPromptTokens(string model, string path)
    {
        await using var host = await GatewayTestHost.StartAsync();
        var client = Sdk(host).GetImageClient(model);

        var image = await client.GenerateImageAsync("a lighthouse at dusk", new ImageGenerationOptions { Size = GeneratedImageSize.W1024xH1024 }, Ct).WaitAsync(Wait);

        Assert.Equal(Convert.FromBase64String(FakePng), image.Value.ImageBytes.ToArray());
        var upstream = Gemini(host);
        Assert.Equal(path, upstream.Path);
        using (var sent = JsonDocument.Parse(upstream.Body))
        {
            var root = sent.RootElement;
            Assert.Equal("a lighthouse at dusk", root.GetProperty("contents")[0].GetProperty("parts")[0].GetProperty("text").GetString());
            Assert.Equal("IMAGE", Assert.Single(root.GetProperty("generationConfig").GetProperty("responseModalities").EnumerateArray()).GetString());
            Assert.Equal("1:1", root.GetProperty("generationConfig").GetProperty("imageConfig").GetProperty("aspectRatio").GetString());
        }

        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("images.generations", "ok", false, 0L), (row.Endpoint, row.Status, row.UsageEstimated, row.OutputTokens));
        Assert.True(row.InputTokens > 0);
        Assert.Equal(Pico((row.InputTokens * 0.25m / 1_000_000m) + 0.034m), row.CostPico);
    }

    [Fact]
    public async Task Generation_AnswerIsOpenAIsFormat_WithUsage_AndTheSizeAsAnAspectRatio()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/images/generations",
            Json("""{"model":"gemini-image-test","prompt":"wide","size":"1536x1024","response_format":"b64_json"}"""), Ct).WaitAsync(Wait);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var answer = JsonDocument.Parse(text);
        Assert.Equal(FakePng, Assert.Single(answer.RootElement.GetProperty("data").EnumerateArray()).GetProperty("b64_json").GetString());
        Assert.True(answer.RootElement.GetProperty("created").GetInt64() > 0);
        Assert.Equal(ImageTokens, answer.RootElement.GetProperty("usage").GetProperty("output_tokens").GetInt64());
        Assert.DoesNotContain("gemini-image-upstream", text, StringComparison.Ordinal);
        Assert.Contains("\"aspectRatio\":\"3:2\"", Gemini(host).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edit_SendsTheUploadedImageAsInlineData_AndAnswersWithTheNewImage()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/images/edits",
            Form(new Dictionary<string, string> { ["model"] = "gemini-image-vertex-test", ["prompt"] = "make it blue" }, "image", "in.png", Png(), "image/png"), Ct)
            .WaitAsync(Wait);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using (var sent = JsonDocument.Parse(Gemini(host).Body))
        {
            var parts = sent.RootElement.GetProperty("contents")[0].GetProperty("parts");
            Assert.Equal("make it blue", parts[0].GetProperty("text").GetString());
            Assert.Equal("image/png", parts[1].GetProperty("inlineData").GetProperty("mimeType").GetString());
            Assert.Equal(Convert.ToBase64String(Png()), parts[1].GetProperty("inlineData").GetProperty("data").GetString());
        }

        using var answer = JsonDocument.Parse(text);
        Assert.Equal(FakePng, answer.RootElement.GetProperty("data")[0].GetProperty("b64_json").GetString());
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("images.edits", "vertex"), (row.Endpoint, row.Provider));
        Assert.Equal(Pico((row.InputTokens * 0.25m / 1_000_000m) + 0.034m), row.CostPico);
    }

    [Fact]
    public async Task TokenPricedModel_IsChargedItsPromptAndImageTokens()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/images/generations", Json("""{"model":"gemini-image-tokens-test","prompt":"x"}"""), Ct).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(ImageTokens, row.OutputTokens);
        Assert.Equal(Pico(((row.InputTokens * 0.3m) + (ImageTokens * 30m)) / 1_000_000m), row.CostPico);
    }

    [Fact]
    public async Task NoUsageReported_ChargedThePerImagePriceForTheImageMade()
    {
        await using var host = await GatewayTestHost.StartAsync();
        host.Fake.Options.OmitUsage = true;
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/images/generations", Json("""{"model":"gemini-image-test","prompt":"x"}"""), Ct).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal((false, Pico(0.034m)), (row.UsageEstimated, row.CostPico));
    }

    [Theory]
    [InlineData("""{"model":"gemini-image-test","prompt":"x","n":2}""", "'n' must be 1")]
    [InlineData("""{"model":"gemini-image-test","prompt":"x","size":"1000x300"}""", "aspect ratio")]
    public async Task ManyImagesOrAnUnmadeAspectRatio_400_NeverSentNorBilled(string body, string said)
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/images/generations", Json(body), Ct).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(said, await ErrorMessageAsync(response), StringComparison.Ordinal);
        Assert.DoesNotContain(host.Fake.Requests, r => r.Path.EndsWith(":generateContent", StringComparison.Ordinal));
        Assert.Empty(await host.LedgerAsync());
    }

    [Fact]
    public async Task ProviderError_IsRelayedInOpenAIsFormatWithItsStatus()
    {
        await using var host = await GatewayTestHost.StartAsync();
        host.Fake.Options.Status = 429;
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/images/generations", Json("""{"model":"gemini-image-test","prompt":"x"}"""), Ct).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("RESOURCE_EXHAUSTED", json.RootElement.GetProperty("error").GetProperty("code").GetString());
    }
}
