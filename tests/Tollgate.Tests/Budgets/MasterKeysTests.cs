using System.Net;
using System.Net.Http.Json;
using Dapper;
using Tollgate.Storage;
using Tollgate.Tests.Gateway;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Budgets;

public sealed class MasterKeysTests
{
    private static async Task<string> CreateMasterKeyAsync(GatewayTestHost host)
    {
        using var client = host.Server.CreateClient(host.Token);
        var response = await client.PostAsJsonAsync($"orgs/{host.OrgId}/master-keys", new { name = "platform" });
        var json = await JsonAsync(response);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return json.GetProperty("key").GetString()!;
    }

    [Fact]
    public async Task Platform_MakesAKeyWithLimits_ForItsEndUser_WhoSeesTheirHeadroom()
    {
        await using var host = await GatewayTestHost.StartAsync();
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget", """{"spend":{"type":"fixed","limit":"5"}}""");
        using var master = host.Server.CreateClient(await CreateMasterKeyAsync(host));

        var project = await JsonAsync(await master.PostAsJsonAsync("v1/master/projects", new { name = "end users" }));
        // A master-made key may exceed its member's limit (the platform manages its own users).
        var created = await master.PostAsJsonAsync("v1/master/keys", new
        {
            projectId = project.GetProperty("id").GetString(), name = "user-42", usageLimit = "20", budgetType = "monthly", periodUsageLimit = "1", periodWindow = "day",
        });
        var doc = await JsonAsync(created);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(("monthly", "20", "1", "day", "5"), (doc.GetProperty("budgetType").GetString(), doc.GetProperty("usageLimit").GetString(),
            doc.GetProperty("periodUsageLimit").GetString(), doc.GetProperty("periodWindow").GetString(), doc.GetProperty("memberRemaining").GetString()));
        var endUserKey = doc.GetProperty("key").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host, endUserKey)).StatusCode);
        var keyId = doc.GetProperty("id").GetString()!;
        var after = await JsonAsync(await master.GetAsync($"v1/master/keys/{keyId}"));
        Assert.Equal(Tollgate.Budgets.Money.ToWire(await LedgerSumAsync(host)), after.GetProperty("usage").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await master.DeleteAsync($"v1/master/keys/{keyId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ChatAsync(host, endUserKey)).StatusCode);
    }

    [Fact]
    public async Task MasterKey_SeesOnlyItsOwnOrg_AndWorksOnlyOnTheMasterApi()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var masterKey = await CreateMasterKeyAsync(host);
        var (_, otherOrg, _, otherKeyId, _) = await Infrastructure.AccountSetup.CreateOrgWithKeyAsync(host.Server);
        using var master = host.Server.CreateClient(masterKey);

        Assert.Equal(HttpStatusCode.NotFound, (await master.GetAsync($"v1/master/keys/{otherKeyId}")).StatusCode);
        Assert.DoesNotContain(otherKeyId, await master.GetStringAsync("v1/master/keys"), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ChatAsync(host, masterKey)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await master.GetAsync($"orgs/{otherOrg}")).StatusCode);
        using var withApiKey = host.Server.CreateClient(host.Key);
        Assert.Equal(HttpStatusCode.Unauthorized, (await withApiKey.GetAsync("v1/master/keys")).StatusCode);
    }

    [Fact]
    public async Task MasterKeys_OnAProPlan_AnswerPlanRequired()
    {
        await using var host = await GatewayTestHost.StartAsync();
        await using (var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE orgs SET plan = 'pro' WHERE id = @id", new { id = host.OrgId });
        }

        using var client = host.Server.CreateClient(host.Token);
        var response = await client.PostAsJsonAsync($"orgs/{host.OrgId}/master-keys", new { name = "x" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = await JsonAsync(response);
        Assert.Equal("plan_required", problem.GetProperty("code").GetString());
        Assert.Contains("enterprise", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
