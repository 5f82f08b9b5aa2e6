using System.Net;
using System.Text.Json;
#pragma warning disable OPENAI001 // ImageEditOptions.Quality is marked for evaluation in the SDK; it is what clients send.
using OpenAI.Images;
using static Tollgate.Tests.Gateway.Modalities.ModalityKit;

namespace Tollgate.Tests.Gateway.Modalities;

/// <summary>
/// <c>POST /v1/images/generations</c> and <c>/v1/images/edits</c>: mod-image is priced per image by
/// size and quality (1024x1024: low $0.011, high $0.167, hd $0.08; 1536x1024 hd $0.12); mod-image-tokens $5 / $40 per
/// million tokens. The SDK's <c>GeneratedImageQuality.High</c> is sent as <c>hd</c>.
/// </summary>
public sealed class ImageTests
{
    [Fact]
    public async Task Sdk_GenerateTwoHdSquareImages_BilledTwiceTheVariantPrice()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var client = Sdk(host).GetImageClient("mod-image");

        var images = (await client.GenerateImagesAsync("a lighthouse", 2, new ImageGenerationOptions
        {
            Size = GeneratedImageSize.W1024xH1024,
            Quality = GeneratedImageQuality.High,
            ResponseFormat = GeneratedImageFormat.Bytes,
        }, TestContext.Current.CancellationToken).WaitAsync(Wait)).Value;

        Assert.Equal(2, images.Count);
        Assert.All(images, i => Assert.Equal(Png(), i.ImageBytes.ToArray()));
        using (var sent = JsonDocument.Parse(Assert.Single(Upstream(host, "/v1/images/generations")).Body))
        {
            Assert.Equal(("mod-upstream-image", 2, "1024x1024", "hd"), (sent.RootElement.GetProperty("model").GetString(),
                sent.RootElement.GetProperty("n").GetInt32(), sent.RootElement.GetProperty("size").GetString(), sent.RootElement.GetProperty("quality").GetString()));
        }

        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("images.generations", "ok", false), (row.Endpoint, row.Status, row.UsageEstimated));
        Assert.Equal(Pico(2 * 0.08m), row.CostPico);
    }

    [Fact]
    public async Task Sdk_EditWithUrls_BilledPerImage()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var client = Sdk(host).GetImageClient("mod-image");

        using var image = new MemoryStream(Png());
        var images = (await client.GenerateImageEditsAsync(image, "in.png", "add a boat", 3, new ImageEditOptions
        {
            Size = new GeneratedImageSize(1536, 1024),
            Quality = GeneratedImageQuality.High,
            ResponseFormat = GeneratedImageFormat.Uri,
        }, TestContext.Current.CancellationToken).WaitAsync(Wait)).Value;

        Assert.Equal(3, images.Count);
        Assert.All(images, i => Assert.NotNull(i.ImageUri));
        var upstream = Assert.Single(Upstream(host, "/v1/images/edits"));
        Assert.Contains("model=mod-upstream-image\n", upstream.Body, StringComparison.Ordinal);
        Assert.Contains("image=@in.png;", upstream.Body, StringComparison.Ordinal);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("images.edits", Pico(3 * 0.12m)), (row.Endpoint, row.CostPico));
    }

    [Theory]
    [InlineData("""{"model":"mod-image","prompt":"x","size":"512x512"}""", "512x512")]
    [InlineData("""{"model":"mod-image","prompt":"x","size":"1536x1024","quality":"low"}""", "1536x1024/low")]
    [InlineData("""{"model":"mod-image","prompt":"x","quality":"ultra"}""", "quality")]
    [InlineData("""{"model":"mod-image","prompt":"x","size":"big"}""", "WIDTHxHEIGHT")]
    [InlineData("""{"model":"mod-image","prompt":"x","n":11}""", "'n'")]
    [InlineData("""{"model":"mod-image","n":1}""", "'prompt' is required")]
    public async Task UnknownSizeQualityOrBadInput_400_NeverSentNorBilled(string body, string said)
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/images/generations", Json(body), TestContext.Current.CancellationToken).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(said, await ErrorMessageAsync(response), StringComparison.Ordinal);
        Assert.Empty(Upstream(host, "/v1/images/generations"));
        Assert.Empty(await host.LedgerAsync());
    }

    [Fact]
    public async Task TokenPricedModel_BilledAtTheReportedImageTokens()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var client = Sdk(host).GetImageClient("mod-image-tokens");

        await client.GenerateImagesAsync("two words", 1, new ImageGenerationOptions(), TestContext.Current.CancellationToken).WaitAsync(Wait);

        // The fake reports a token per prompt word in and 1,000 tokens per image out.
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal((2L, 1000L), (row.InputTokens, row.OutputTokens));
        Assert.Equal(Pico(((2 * 5m) + (1000 * 40m)) / 1_000_000m), row.CostPico);
    }

    [Fact]
    public async Task NoImagesCountedInTheAnswer_ChargedTheBoundMarkedEstimated()
    {
        await using var host = await GatewayTestHost.StartAsync();
        host.Fake.Options.OmitUsage = true;
        using var client = host.GatewayClient();

        // Quality not said: the bound is the dearest 1024x1024 variant; the fake answers images, so they are counted.
        var response = await client.PostAsync("v1/images/generations", Json("""{"model":"mod-image","prompt":"x","size":"1024x1024"}"""),
            TestContext.Current.CancellationToken).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal((false, Pico(0.167m)), (row.UsageEstimated, row.CostPico));
    }
}
