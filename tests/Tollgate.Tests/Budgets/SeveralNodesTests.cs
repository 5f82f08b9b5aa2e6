using System.Net;
using System.Text;
using Dapper;
using Tollgate.Budgets;
using Tollgate.Storage;
using Tollgate.Tests.Gateway;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Budgets;

/// <summary>Two nodes (two servers in this process, each with its own engine) on one PostgreSQL database.</summary>
public sealed class SeveralNodesTests
{
    private static async Task<HttpResponseMessage> ChatOnAsync(Infrastructure.TollgateServer node, string key, int maxTokens = 10)
    {
        using var client = node.CreateClient(key);
        return await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "two nodes", maxTokens: maxTokens));
    }

    [Fact]
    public async Task ParallelRequestsSplitAcrossTwoNodes_RacingOneMemberCap_NeverOvershoot()
    {
        await using var host = await GatewayTestHost.StartAsync(DbDialect.Postgres);
        await using var second = await host.StartSecondNodeAsync();
        var memberId = await MemberIdAsync(host);
        var path = $"orgs/{host.OrgId}/members/{memberId}/budget";
        const long cap = 2_000_000_000L;
        await PutOkAsync(host, path, $$$"""{"spend":{"type":"fixed","limit":"{{{Money.ToWire(cap)}}}"}}""");

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => ChatOnAsync(i % 2 == 0 ? host.Server : second, host.Key)));

        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Forbidden }));
        var charged = await LedgerSumAsync(host);
        Assert.True(charged <= cap, $"charged {charged} > cap {cap}");
        // Which node wins the last of the cap is a race; that the cap is never overspent is not.
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        foreach (var node in new[] { host.Server, second })
        {
            using var client = node.CreateClient(host.Token);
            var spend = (await JsonAsync(await client.GetAsync(path))).GetProperty("usage").GetProperty("spend");
            Assert.Equal("0", spend.GetProperty("reserved").GetString());
            Assert.Equal(Money.ToWire(charged), spend.GetProperty("used").GetString());
        }

        // No phantom denial: with room made on one node, a fitting request is admitted on the other
        // once the change has reached it (within a second).
        await PutOkAsync(host, path, $$$"""{"spend":{"type":"fixed","limit":"{{{Money.ToWire(charged + 1_000_000_000L)}}}"}}""");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await ChatOnAsync(second, host.Key)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ChatOnAsync(host.Server, host.Key)).StatusCode);
    }

    [Fact]
    public async Task BudgetChangeOnOneNode_IsEnforcedByTheOtherWithinOneSecond()
    {
        await using var host = await GatewayTestHost.StartAsync(DbDialect.Postgres);
        await using var second = await host.StartSecondNodeAsync();
        Assert.Equal(HttpStatusCode.OK, (await ChatOnAsync(second, host.Key)).StatusCode); // the second node has the member loaded

        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget", """{"spend":{"type":"fixed","limit":"0"}}""");
        await Task.Delay(TimeSpan.FromSeconds(1));

        await AssertDeniedAsync(await ChatOnAsync(second, host.Key), "member_budget_exceeded", BudgetMessages.MemberFixed);
    }

    [Fact]
    public async Task HoldsOfALiveNodeCount_HoldsOfADeadNodeAreReleased()
    {
        await using var host = await GatewayTestHost.StartAsync(DbDialect.Postgres);
        var memberId = await MemberIdAsync(host);
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{memberId}/budget", """{"spend":{"type":"fixed","limit":"1"}}""");
        await using var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync();
        var now = await AddDeadAndLiveNodesAsync(connection);
        await connection.ExecuteAsync(
            "INSERT INTO budget_holds (id, node_id, member_id, key_id, amount_pico, created_at) VALUES ('hold_dead', 'node_dead', @memberId, 'key_x', 1000000000000, @now)",
            new { memberId, now });

        // A killed node's hold of the whole budget does not block anyone.
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host)).StatusCode);

        await connection.ExecuteAsync(
            "INSERT INTO budget_holds (id, node_id, member_id, key_id, amount_pico, created_at) VALUES ('hold_live', 'node_live', @memberId, 'key_x', 1000000000000, @now)",
            new { memberId, now });
        // A live node's hold of the whole budget does.
        await AssertDeniedAsync(await ChatAsync(host), "member_budget_exceeded", BudgetMessages.MemberFixed);
    }
}
