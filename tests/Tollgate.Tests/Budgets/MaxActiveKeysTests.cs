using System.Net;
using System.Net.Http.Json;
using Tollgate.Storage;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Infrastructure;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Budgets;

public sealed class MaxActiveKeysTests
{
    private const string LimitMessage = "You have reached your limit of 3 active API keys set by an organization admin.";

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task TwentyParallelCreations_AgainstACapOfThree_LeaveExactlyThreeActiveKeys(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        var memberId = await MemberIdAsync(host);
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{memberId}/budget", """{"maxActiveKeys":{"type":"limit","value":3}}""");
        using var client = host.Server.CreateClient(host.Token);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            client.PostAsJsonAsync($"orgs/{host.OrgId}/keys", new { projectId = host.ProjectId, name = $"k{i}" })));

        // The key made with the org already counts: two more fit.
        Assert.Equal(2, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        foreach (var refused in responses.Where(r => r.StatusCode != HttpStatusCode.Created))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal(LimitMessage, (await JsonAsync(refused)).GetProperty("detail").GetString());
        }

        var active = await GetAsync(host, $"orgs/{host.OrgId}/keys?status=active");
        Assert.Equal(3, active.GetProperty("data").GetArrayLength());
        Assert.Equal(3, (await GetAsync(host, $"orgs/{host.OrgId}/members/{memberId}/budget")).GetProperty("usage").GetProperty("activeKeys").GetInt64());
    }

    [Fact]
    public async Task ReactivatingAKey_PastTheCap_IsRefusedWithTheSameMessage()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var memberId = await MemberIdAsync(host);
        using var client = host.Server.CreateClient(host.Token);
        Assert.Equal(HttpStatusCode.OK, (await client.PatchAsJsonAsync($"orgs/{host.OrgId}/keys/{host.KeyId}", new { status = "disabled" })).StatusCode);
        await CreateKeyAsync(host, "a");
        await CreateKeyAsync(host, "b");
        await CreateKeyAsync(host, "c");
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{memberId}/budget", """{"maxActiveKeys":{"type":"limit","value":3}}""");

        var response = await client.PatchAsJsonAsync($"orgs/{host.OrgId}/keys/{host.KeyId}", new { status = "active" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(LimitMessage, (await JsonAsync(response)).GetProperty("detail").GetString());
        Assert.Equal("disabled", (await GetAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task DeletedKeys_KeepCountingTowardTheMembersBudget()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var memberId = await MemberIdAsync(host);
        var path = $"orgs/{host.OrgId}/members/{memberId}/budget";
        await PutOkAsync(host, path, """{"spend":{"type":"fixed","limit":"1"}}""");
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host)).StatusCode);
        var spent = await LedgerSumAsync(host);
        using var client = host.Server.CreateClient(host.Token);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"orgs/{host.OrgId}/keys/{host.KeyId}")).StatusCode);
        host.Server.App.Services.GetRequiredService<Tollgate.Budgets.BudgetEngine>().InvalidateMember(memberId); // force a rebuild from the ledger

        var used = (await GetAsync(host, path)).GetProperty("usage").GetProperty("spend").GetProperty("used").GetString();
        Assert.Equal(Tollgate.Budgets.Money.ToWire(spent), used);
    }
}

public sealed class KeyCreationBudgetTests
{
    [Fact]
    public async Task CreateKey_WithABudget_StartsWithThoseCaps_AndABadOneMakesNoKey()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.Server.CreateClient(host.Token);

        var bad = await client.PostAsJsonAsync($"orgs/{host.OrgId}/keys",
            new { projectId = host.ProjectId, name = "bad", budget = new { spend = new { type = "fixed", limit = "-1" } } });
        var good = await client.PostAsJsonAsync($"orgs/{host.OrgId}/keys",
            new { projectId = host.ProjectId, name = "capped", budget = new { spend = new { type = "fixed", limit = "0" } } });

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True((await JsonAsync(bad)).GetProperty("errors").TryGetProperty("budget.spend.limit", out _));
        Assert.Equal(2, (await GetAsync(host, $"orgs/{host.OrgId}/keys?status=active")).GetProperty("data").GetArrayLength());
        var created = await JsonAsync(good);
        Assert.Equal(HttpStatusCode.Created, good.StatusCode);
        await AssertDeniedAsync(await ChatAsync(host, created.GetProperty("key").GetString()), "key_budget_exceeded",
            "API Key capped has reached its budget limit ($0.00 / $0.00). Other Keys are not affected.");
    }
}
