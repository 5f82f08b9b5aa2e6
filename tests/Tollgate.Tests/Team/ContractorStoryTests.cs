using System.Net;
using System.Net.Http.Json;
using Tollgate.Budgets;
using Tollgate.Tests.Gateway;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Team;

/// <summary>"A contractor is productive, and capped, in one invite", end to end.</summary>
public sealed class ContractorStoryTests
{
    [Fact]
    public async Task Contractor_InvitedToOneProject_IsProductiveAndCappedByTheDefaults()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var owner = host.Server.CreateClient(host.Token);
        var otherProject = (await JsonAsync(await owner.PostAsJsonAsync($"orgs/{host.OrgId}/projects", new { name = "Secret project" }))).GetProperty("id").GetString()!;
        // The owner sets default developer limits: a period cap a few requests deep.
        await PutOkAsync(host, $"orgs/{host.OrgId}/default-developer-limits", """{"period":{"type":"rolling","limit":"0.0006","window":"day"}}""");

        // One invite: developer of one project.
        var (devToken, devMemberId) = await AddDeveloperAsync(host);
        var devKey = await CreateKeyAsync(host, "contractor-laptop", devToken);
        using var dev = host.Server.CreateClient(devToken);

        // Productive: the key works on the gateway right away.
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host, devKey)).StatusCode);

        // Sees their own usage and remaining allowance, from the default.
        var own = await GetAsync(host, $"orgs/{host.OrgId}/members/me/budget", devToken);
        Assert.Equal("default", own.GetProperty("effective").GetProperty("period").GetProperty("source").GetString());
        Assert.NotEqual("0", own.GetProperty("usage").GetProperty("period").GetProperty("used").GetString());
        Assert.NotNull(own.GetProperty("usage").GetProperty("period").GetProperty("remaining").GetString());
        var me = await GetAsync(host, $"orgs/{host.OrgId}/members/me", devToken);
        Assert.Equal("default", me.GetProperty("budget").GetProperty("effective").GetProperty("period").GetProperty("source").GetString());
        // The Team page shows the owner every member's effective limits with their source.
        var team = await GetAsync(host, $"orgs/{host.OrgId}/members");
        Assert.All(team.GetProperty("data").EnumerateArray(), m => Assert.True(m.TryGetProperty("budget", out _)));
        // Sees only their own keys, not the other project, not other members' budgets.
        var keys = await GetAsync(host, $"orgs/{host.OrgId}/keys", devToken);
        Assert.Equal(1, keys.GetProperty("data").GetArrayLength());
        Assert.Equal(HttpStatusCode.NotFound, (await dev.GetAsync($"orgs/{host.OrgId}/projects/{otherProject}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await dev.GetAsync($"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await dev.PostAsJsonAsync($"orgs/{host.OrgId}/keys", new { projectId = otherProject, name = "sneaky" })).StatusCode);

        // Capped: requests go through until the default cap is reached, then the 403 of budgets.md.
        HttpResponseMessage last;
        var sent = 0;
        do
        {
            last = await ChatAsync(host, devKey);
            sent++;
        }
        while (last.StatusCode == HttpStatusCode.OK && sent < 50);

        await AssertDeniedAsync(last, "member_period_budget_exceeded", BudgetMessages.MemberPeriod);
        var charged = (await host.LedgerAsync()).Where(r => r.MemberId == devMemberId).Sum(r => r.CostPico);
        Assert.True(charged <= Money.ToPico(0.0006m), $"charged {charged}");
        // The owner is not capped by the developer defaults.
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host)).StatusCode);
    }
}
