using System.Net;
using System.Text;
using System.Text.Json;
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

    [Fact]
    public async Task MemberListAndBudgetsPage_ReadEveryBudgetTogether_OnAnotherNode_WithItsSettlementsAndOtherNodesHolds()
    {
        await using var host = await GatewayTestHost.StartAsync(DbDialect.Postgres);
        await using var second = await host.StartSecondNodeAsync();
        var ownerId = await MemberIdAsync(host);
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{ownerId}/budget",
            """{"spend":{"type":"monthly","limit":"100"},"period":{"type":"rolling","limit":"50","window":"day"}}""");
        await using var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync();
        var others = await Tollgate.Tests.Team.TeamSetup.InsertMembersAsync(connection, host.OrgId, 3, "admin", "List");

        using var onSecond = second.CreateClient(host.Token);
        async Task<Dictionary<string, JsonElement>> BudgetsOnSecondAsync(string path, string idProperty)
        {
            var page = await JsonAsync(await onSecond.GetAsync($"orgs/{host.OrgId}/{path}").WaitAsync(TimeSpan.FromSeconds(30)));
            return page.GetProperty("data").EnumerateArray().ToDictionary(
                r => r.GetProperty(idProperty).GetString()!, r => path == "members" ? r.GetProperty("budget").GetProperty("usage") : r.GetProperty("usage"));
        }

        // The second node loads every member, then the first settles requests the second never saw.
        Assert.Equal(4, (await BudgetsOnSecondAsync("members", "memberId")).Count);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await ChatOnAsync(host.Server, host.Key)).StatusCode);
        }

        var spent = Money.ToWire(await LedgerSumAsync(host));
        Assert.NotEqual("0", spent);
        var listed = await BudgetsOnSecondAsync("members", "memberId");
        Assert.Equal(spent, listed[ownerId].GetProperty("spend").GetProperty("used").GetString());
        Assert.Equal(spent, listed[ownerId].GetProperty("period").GetProperty("used").GetString());
        Assert.All(others, id => Assert.Equal("0", listed[id].GetProperty("spend").GetProperty("used").GetString()));

        // What a live node holds for a member counts as reserved; a dead node's hold does not.
        var now = await AddDeadAndLiveNodesAsync(connection);
        await connection.ExecuteAsync(
            """
            INSERT INTO budget_holds (id, node_id, member_id, key_id, amount_pico, created_at)
            VALUES ('hold_live', 'node_live', @ownerId, 'key_x', 3000000000000, @now), ('hold_dead', 'node_dead', @ownerId, 'key_x', 7000000000000, @now)
            """,
            new { ownerId, now });
        var page = await BudgetsOnSecondAsync("budgets", "memberId");
        Assert.Equal("3", page[ownerId].GetProperty("spend").GetProperty("reserved").GetString());
        Assert.Equal(spent, page[ownerId].GetProperty("spend").GetProperty("used").GetString());
        await connection.ExecuteAsync("DELETE FROM budget_holds");

        // Lists read on both nodes while both admit and settle: none waits on another for ever, and
        // afterwards both show what the ledger holds.
        var traffic = Enumerable.Range(0, 20).Select(i => ChatOnAsync(i % 2 == 0 ? host.Server : second, host.Key)).ToList();
        using var onFirst = host.Server.CreateClient(host.Token);
        var lists = Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? onFirst : onSecond).GetAsync($"orgs/{host.OrgId}/{(i % 4 < 2 ? "members" : "budgets")}")).ToList();
        Assert.All(await Task.WhenAll(traffic).WaitAsync(TimeSpan.FromSeconds(60)), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.All(await Task.WhenAll(lists).WaitAsync(TimeSpan.FromSeconds(60)), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        spent = Money.ToWire(await LedgerSumAsync(host));
        Assert.Equal(spent, (await BudgetsOnSecondAsync("members", "memberId"))[ownerId].GetProperty("spend").GetProperty("used").GetString());
        Assert.Equal(spent, (await BudgetsOnSecondAsync("budgets", "memberId"))[ownerId].GetProperty("period").GetProperty("used").GetString());
    }
}
