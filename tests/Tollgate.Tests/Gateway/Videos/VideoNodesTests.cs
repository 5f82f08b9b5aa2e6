using System.Net;
using Tollgate.Storage;
using static Tollgate.Tests.Gateway.Modalities.ModalityKit;
using static Tollgate.Tests.Gateway.Videos.VideoKit;

namespace Tollgate.Tests.Gateway.Videos;

/// <summary>Several nodes on PostgreSQL: a job's hold is seen by every node, and a job polled by all of them is charged once.</summary>
public sealed class VideoNodesTests
{
    [Fact]
    public async Task TwoNodesPollingTheSameJobs_ShowTheirHolds_AndChargeEachJobOnce()
    {
        await using var host = await StartAsync(DbDialect.Postgres, pollSeconds: "0.02");
        await using var second = await host.StartSecondNodeAsync().WaitAsync(Wait);
        using var client = host.GatewayClient();

        // A job made on the first node, which runs until it is deleted, is held on the second at once (4 s × $0.10).
        var held = (await CreateOkAsync(client, Create("4", knobs: "fake:video_ms=600000"))).GetProperty("id").GetString()!;
        var seenOnSecond = await MemberSpendAsync(host, second);
        var deleted = await client.DeleteAsync($"v1/videos/{held}", TestContext.Current.CancellationToken).WaitAsync(Wait);
        for (var i = 0; i < 5; i++)
        {
            await CreateOkAsync(client, Create("4", knobs: "fake:video_ms=300"));
        }

        await EventuallyAsync(async () => (await host.LedgerAsync()).Count == 6, "the nodes did not settle the six jobs");

        Assert.Equal(("0", "0.4"), seenOnSecond);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        var rows = await host.LedgerAsync();
        Assert.Equal(6, rows.Count);
        Assert.Equal(6, rows.Select(r => r.RequestId).Distinct().Count());
        Assert.Equal(Pico(5 * 0.4m), rows.Sum(r => r.CostPico)); // the deleted job is cancelled at $0
        Assert.Equal(("2", "0"), await MemberSpendAsync(host));
        Assert.Equal(("2", "0"), await MemberSpendAsync(host, second));
    }
}
