using System.Globalization;
using System.Net;
using System.Text.Json;
using Tollgate.Budgets;
using Tollgate.Storage;
using Tollgate.Tests.Budgets;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Analytics;

/// <summary>Parameters, validation, scoping, plan gates and CSV of the analytics endpoints (api.md "Analytics", roles.md).</summary>
public sealed class AnalyticsApiTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static async Task<(HttpStatusCode Status, string Text, string? ContentType)> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path).WaitAsync(Timeout);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType);
    }

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    private static long Pico(JsonElement e, string name) => Money.ToPico(decimal.Parse(e.GetProperty(name).GetString()!, CultureInfo.InvariantCulture));

    [Fact]
    public async Task Parameters_InvalidOnes_Answer400NamingTheProblem()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var owner = host.Server.CreateClient(host.Token);
        var org = "organizationId=" + host.OrgId;

        var missing = await GetAsync(owner, "analytics/activity");
        var zone = await GetAsync(owner, $"analytics/activity?{org}&timezone=Mars/Olympus_Mons");
        var tooLong = await GetAsync(owner, $"analytics/activity?{org}&from=2025-01-01&to=2026-01-02");
        var longest = await GetAsync(owner, $"analytics/activity?{org}&from=2025-01-01&to=2026-01-01");
        var reversed = await GetAsync(owner, $"analytics/activity?{org}&from=2026-02-01&to=2026-01-01");
        var badDate = await GetAsync(owner, $"analytics/activity?{org}&from=01/02/2026");
        var badGroup = await GetAsync(owner, $"analytics/activity?{org}&groupBy=color");
        var otherOrg = await GetAsync(owner, "analytics/activity?organizationId=org_unknown");
        using var nobody = new HttpClient { BaseAddress = host.Server.BaseAddress };
        var anonymous = await GetAsync(nobody, $"analytics/activity?{org}");

        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.Contains("organizationId", missing.Text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, zone.Status);
        Assert.Contains("Mars/Olympus_Mons", zone.Text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.Status);
        Assert.Contains("366", tooLong.Text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, longest.Status);
        Assert.Equal(366, Json(longest.Text).GetProperty("days").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, reversed.Status);
        Assert.Equal(HttpStatusCode.BadRequest, badDate.Status);
        Assert.Equal(HttpStatusCode.BadRequest, badGroup.Status);
        Assert.Equal(HttpStatusCode.NotFound, otherOrg.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
    }

    [Fact]
    public async Task Defaults_AreTheLastSevenDaysInUtc()
    {
        var clock = new ShiftedTimeProvider(new DateTimeOffset(2026, 7, 10, 23, 30, 0, TimeSpan.Zero));
        await using var host = await GatewayTestHost.StartAsync(clock: clock);
        clock.Freeze(new DateTimeOffset(2026, 7, 10, 23, 30, 0, TimeSpan.Zero));
        using var owner = host.Server.CreateClient(host.Token);

        var utc = Json((await GetAsync(owner, $"analytics/activity?organizationId={host.OrgId}")).Text);
        var tokyo = Json((await GetAsync(owner, $"analytics/activity?organizationId={host.OrgId}&timezone=Asia/Tokyo")).Text);

        Assert.Equal("UTC", utc.GetProperty("timezone").GetString());
        Assert.Equal("2026-07-04", utc.GetProperty("from").GetString());
        Assert.Equal("2026-07-10", utc.GetProperty("to").GetString());
        Assert.Equal(7, utc.GetProperty("days").GetArrayLength());
        Assert.Equal("2026-07-11", tokyo.GetProperty("to").GetString()); // already the 11th in Tokyo
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Developer_SeesOnlyTheirOwnUsage(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        var (devToken, devMemberId) = await BudgetTestCalls.AddDeveloperAsync(host);
        var devKey = await BudgetTestCalls.CreateKeyAsync(host, "dev", devToken);
        var ownerMemberId = await BudgetTestCalls.MemberIdAsync(host);
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await BudgetTestCalls.ChatAsync(host)).IsSuccessStatusCode);
        }

        Assert.True((await BudgetTestCalls.ChatAsync(host, devKey)).IsSuccessStatusCode);
        var ledger = await host.LedgerAsync();
        using var developer = host.Server.CreateClient(devToken);
        var org = "organizationId=" + host.OrgId;

        var own = Json((await GetAsync(developer, $"analytics/activity?{org}&groupBy=member")).Text);
        var me = Json((await GetAsync(developer, $"analytics/me?{org}")).Text);
        var other = await GetAsync(developer, $"analytics/activity?{org}&memberId={ownerMemberId}");
        var otherKey = await GetAsync(developer, $"analytics/activity?{org}&apiKeyId={host.KeyId}");
        var members = await GetAsync(developer, $"analytics/members?{org}");
        var otherDetail = await GetAsync(developer, $"analytics/members/{ownerMemberId}?{org}");
        var ownDetail = await GetAsync(developer, $"analytics/members/{devMemberId}?{org}");

        var devCost = ledger.Where(r => r.MemberId == devMemberId).Sum(r => r.CostPico);
        Assert.Equal(devCost, Pico(own.GetProperty("totals"), "cost"));
        Assert.Equal([devMemberId], own.GetProperty("totals").GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("key").GetString()));
        Assert.Equal(devCost, Pico(me.GetProperty("totals"), "cost"));
        Assert.Equal(devMemberId, me.GetProperty("memberId").GetString());
        Assert.Equal(HttpStatusCode.NotFound, other.Status);
        Assert.Equal(HttpStatusCode.NotFound, otherKey.Status);
        Assert.Equal(HttpStatusCode.Forbidden, members.Status);
        Assert.Equal(HttpStatusCode.NotFound, otherDetail.Status);
        Assert.Equal(HttpStatusCode.OK, ownDetail.Status);
    }

    [Fact]
    public async Task MemberAnalytics_OnAProPlan_Answer403PlanRequired()
    {
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:DefaultPlan"] = "pro" });
        using var owner = host.Server.CreateClient(host.Token);
        var org = "organizationId=" + host.OrgId;

        var members = await GetAsync(owner, $"analytics/members?{org}");
        var byMember = await GetAsync(owner, $"analytics/activity?{org}&groupBy=member");
        var byModel = await GetAsync(owner, $"analytics/activity?{org}&groupBy=model");
        var me = await GetAsync(owner, $"analytics/me?{org}");

        Assert.Equal(HttpStatusCode.Forbidden, members.Status);
        Assert.Contains("plan_required", members.Text, StringComparison.Ordinal);
        Assert.Contains("enterprise", members.Text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, byMember.Status);
        Assert.Equal(HttpStatusCode.OK, byModel.Status);
        Assert.Equal(HttpStatusCode.OK, me.Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task MemberDetail_CapsAreTheEnforcedNumbers_AndCsvMatchesJson(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        var memberId = await BudgetTestCalls.MemberIdAsync(host);
        await BudgetTestCalls.PutOkAsync(host, $"orgs/{host.OrgId}/members/{memberId}/budget", """{"spend":{"type":"monthly","limit":"10"},"period":{"type":"rolling","limit":"2","window":"day"}}""");
        await BudgetTestCalls.PutOkAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/budget", """{"spend":{"type":"fixed","limit":"1"}}""");
        for (var i = 0; i < 4; i++)
        {
            Assert.True((await BudgetTestCalls.ChatAsync(host)).IsSuccessStatusCode);
        }

        using var owner = host.Server.CreateClient(host.Token);
        var org = "organizationId=" + host.OrgId;
        var detail = Json((await GetAsync(owner, $"analytics/members/{memberId}?{org}&timezone=Europe/Paris")).Text);
        var budget = await BudgetTestCalls.GetAsync(host, $"orgs/{host.OrgId}/members/{memberId}/budget");
        var keyUsage = await BudgetTestCalls.GetAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/usage");

        var caps = detail.GetProperty("caps").EnumerateArray().ToDictionary(c => c.GetProperty("scope").GetString() + "/" + c.GetProperty("cap").GetString());
        Assert.Equal(budget.GetProperty("usage").GetProperty("spend").GetProperty("used").GetString(), caps["member/monthly"].GetProperty("used").GetString());
        Assert.Equal(budget.GetProperty("usage").GetProperty("spend").GetProperty("resetsAt").GetString(), caps["member/monthly"].GetProperty("resetsAt").GetString());
        Assert.Equal(budget.GetProperty("usage").GetProperty("period").GetProperty("used").GetString(), caps["member/period"].GetProperty("used").GetString());
        Assert.Equal("day", caps["member/period"].GetProperty("window").GetString());
        Assert.Equal(keyUsage.GetProperty("usage").GetString(), caps["key/fixed"].GetProperty("used").GetString());
        Assert.Equal(host.KeyId, caps["key/fixed"].GetProperty("keyId").GetString());
        var ledgerCost = (await host.LedgerAsync()).Sum(r => r.CostPico);
        Assert.Equal(ledgerCost, Pico(detail.GetProperty("totals"), "cost"));
        Assert.Equal("fake-model", detail.GetProperty("topModels")[0].GetProperty("key").GetString());
        Assert.Equal("openai", detail.GetProperty("topProviders")[0].GetProperty("key").GetString());
        Assert.Equal(ledgerCost, detail.GetProperty("usageByModel").EnumerateArray().Sum(d => Pico(d, "cost")));

        // :: CSV: the same numbers as the JSON, one line per day and group / per member.
        var activityJson = Json((await GetAsync(owner, $"analytics/activity?{org}&groupBy=apiKey")).Text);
        var activityCsv = await GetAsync(owner, $"analytics/activity?{org}&groupBy=apiKey&format=csv");
        var membersCsv = await GetAsync(owner, $"analytics/members?{org}&format=csv");
        Assert.Equal("text/csv", activityCsv.ContentType);
        var lines = activityCsv.Text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("date,groupBy,key,label,cost,requests,tokens", lines[0]);
        Assert.Equal(7, lines.Skip(1).Select(l => l.Split(',')[0]).Distinct().Count());
        var keyLine = Assert.Single(lines, l => l.Contains(host.KeyId, StringComparison.Ordinal)).Split(',');
        Assert.Equal(activityJson.GetProperty("totals").GetProperty("cost").GetString(), keyLine[4]);
        Assert.Equal("4", keyLine[5]);
        var memberLines = membersCsv.Text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("memberId,name,email,role,cost,tokens,inputTokens,outputTokens,requests,activeKeys", memberLines[0]);
        var memberLine = Assert.Single(memberLines, l => l.StartsWith(memberId, StringComparison.Ordinal)).Split(',');
        Assert.Equal(Money.ToWire(ledgerCost), memberLine[4]);
        Assert.Equal("4", memberLine[8]);
        Assert.Equal("1", memberLine[9]);
    }
}
