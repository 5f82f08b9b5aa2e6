using Tollgate.Budgets;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Gateway.Videos;

namespace Tollgate.Tests.Node;

/// <summary>The npm <c>openai</c> package's Videos API (run with node, <c>tests/node/videos.mjs</c>) against the gateway.</summary>
public sealed class NpmVideoTests
{
    [Fact]
    public async Task CreateRetrieveDownloadList_ThroughTheSdk_ChargedOnceAtTheCatalogPrice()
    {
        await using var host = await VideoKit.StartAsync();

        var result = await NodeProcess.NodeAsync("videos.mjs", [], new Dictionary<string, string>
        {
            ["TOLLGATE_BASE_URL"] = host.Server.BaseAddress.ToString().TrimEnd('/'),
            ["TOLLGATE_KEY"] = host.Key,
        }, TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json();
        Assert.True(json.GetProperty("ok").GetBoolean(), json.ToString());
        Assert.StartsWith("video_", json.Str("id"), StringComparison.Ordinal);
        Assert.Equal(("queued", "completed", "8", "1280x720"), (json.Str("createdStatus"), json.Str("status"), json.Str("seconds"), json.Str("size")));
        Assert.Equal(("video/mp4", "ftyp"), (json.Str("contentType"), json.Str("fileType")));
        Assert.Equal(json.Str("id"), Assert.Single(json.GetProperty("listed").EnumerateArray()).GetString());
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("videos", Money.ToPico(8 * 0.1m)), (row.Endpoint, row.CostPico));
    }
}
