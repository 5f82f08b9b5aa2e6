using System.Net;
using System.Text.Json;
using OpenAI.Embeddings;
using Tollgate.Tests.Infrastructure;
using static Tollgate.Tests.Gateway.Modalities.ModalityKit;

namespace Tollgate.Tests.Gateway.Modalities;

/// <summary><c>POST /v1/embeddings</c> through the official .NET SDK and raw HTTP; mod-embed is $0.1 per million input tokens.</summary>
public sealed class EmbeddingsTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Sdk_ArrayOfStringsWithDimensions_EmbeddedAndBilledOncePerInputToken(Tollgate.Storage.DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        var client = Sdk(host).GetEmbeddingClient("mod-embed");

        var result = (await client.GenerateEmbeddingsAsync(["one two three", "four five"], new EmbeddingGenerationOptions { Dimensions = 4 },
            TestContext.Current.CancellationToken).WaitAsync(Wait)).Value;

        Assert.Equal(2, result.Count);
        Assert.All(result, e => Assert.Equal(4, e.ToFloats().Length));
        Assert.Equal(5, result.Usage.InputTokenCount);
        var upstream = Assert.Single(Upstream(host, "/v1/embeddings"));
        using (var sent = JsonDocument.Parse(upstream.Body))
        {
            Assert.Equal("mod-upstream-embed", sent.RootElement.GetProperty("model").GetString());
            Assert.Equal(4, sent.RootElement.GetProperty("dimensions").GetInt32());
        }

        Assert.Equal("Bearer sk-server-openai-secret", upstream.Authorization);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("embeddings", "mod-embed", "ok", 5L, false), (row.Endpoint, row.Model, row.Status, row.InputTokens, row.UsageEstimated));
        Assert.Equal(Pico(5 * 0.1m / 1_000_000m), row.CostPico);
    }

    [Fact]
    public async Task TokenArraysAndBase64_PassedThroughAndBilledAtTheReportedTokens()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/embeddings",
            Json("""{"model":"mod-embed","input":[[1,2,3],[4,5,6,7]],"encoding_format":"base64"}"""), TestContext.Current.CancellationToken).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var first = answer.RootElement.GetProperty("data")[0].GetProperty("embedding").GetString()!;
        Assert.Equal(8 * 4, Convert.FromBase64String(first).Length);
        Assert.Contains("\"encoding_format\":\"base64\"", Assert.Single(Upstream(host, "/v1/embeddings")).Body, StringComparison.Ordinal);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal((7L, Pico(7 * 0.1m / 1_000_000m)), (row.InputTokens, row.CostPico));
    }

    [Fact]
    public async Task NoUsageReported_ChargedTheBoundMarkedEstimated()
    {
        await using var host = await GatewayTestHost.StartAsync();
        host.Fake.Options.OmitUsage = true;
        using var client = host.GatewayClient();

        // The bound of a string is its UTF-8 bytes: 11 here.
        var response = await client.PostAsync("v1/embeddings", Json("""{"model":"mod-embed","input":"hello world"}"""), TestContext.Current.CancellationToken).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal((true, 11L, Pico(11 * 0.1m / 1_000_000m)), (row.UsageEstimated, row.InputTokens, row.CostPico));
    }
}
