using System.Net;
using System.Text.Json;
using Tollgate.Budgets;
using Tollgate.Storage;
using Tollgate.Tests.Gateway;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Budgets;

public sealed class BudgetEnforcementTests
{
    [Fact]
    public async Task ZeroLimit_BlocksEveryRequestWithTheExactBodyAndNothingReachesTheProvider()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var memberId = await MemberIdAsync(host);
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{memberId}/budget", """{"spend":{"type":"fixed","limit":"0"}}""");

        var response = await ChatAsync(host, maxTokens: 1);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = (await JsonAsync(response)).GetProperty("error");
        Assert.Equal("member_budget_exceeded", error.GetProperty("code").GetString());
        Assert.Equal(BudgetMessages.MemberFixed, error.GetProperty("message").GetString());
        Assert.Equal("Your member budget has reached its limit ($0.00 / $0.00). All services are paused. Please contact your admin to adjust.",
            error.GetProperty("detail").GetString());
        var budget = error.GetProperty("budget");
        Assert.Equal(("member", "fixed", "0", "0", "0"), (budget.GetProperty("scope").GetString(), budget.GetProperty("cap").GetString(),
            budget.GetProperty("limit").GetString(), budget.GetProperty("spent").GetString(), budget.GetProperty("remaining").GetString()));
        Assert.Equal(JsonValueKind.Null, budget.GetProperty("resetsAt").ValueKind);
        Assert.Equal(0, host.Fake.Stats.Requests);
        Assert.Empty(await host.LedgerAsync());
    }

    [Fact]
    public async Task SpendEqualToTheCap_IsDenied_AndRaisingTheLimitAdmitsTheRetry()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var memberId = await MemberIdAsync(host);
        var path = $"orgs/{host.OrgId}/members/{memberId}/budget";
        await PutOkAsync(host, path, """{"spend":{"type":"fixed","limit":"1"}}""");
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host)).StatusCode);
        var spent = await LedgerSumAsync(host);
        Assert.True(spent > 0);

        // Changing only the limit keeps the used amount: lowering it to exactly what was spent pauses at once.
        await PutOkAsync(host, path, $$$"""{"spend":{"type":"fixed","limit":"{{{Money.ToWire(spent)}}}"}}""");
        var denied = await ChatAsync(host);

        await AssertDeniedAsync(denied, "member_budget_exceeded", BudgetMessages.MemberFixed);
        var view = await GetAsync(host, path);
        Assert.Equal("paused", view.GetProperty("status").GetString());
        Assert.Equal(Money.ToWire(spent), view.GetProperty("usage").GetProperty("spend").GetProperty("used").GetString());
        Assert.Equal("0", view.GetProperty("usage").GetProperty("spend").GetProperty("remaining").GetString());

        await PutOkAsync(host, path, """{"spend":{"type":"fixed","limit":"1"}}""");
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host)).StatusCode);
    }

    [Fact]
    public async Task MonthlyBudget_Exhausted_SaysMonthlyAndResetsOnTheFirst()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var memberId = await MemberIdAsync(host);
        var path = $"orgs/{host.OrgId}/members/{memberId}/budget";
        await PutOkAsync(host, path, """{"spend":{"type":"monthly","limit":"1"}}""");
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host)).StatusCode);
        await PutOkAsync(host, path, $$$"""{"spend":{"type":"monthly","limit":"{{{Money.ToWire(await LedgerSumAsync(host))}}}"}}""");

        var denied = await ChatAsync(host);

        await AssertDeniedAsync(denied, "member_budget_exceeded", BudgetMessages.MemberMonthly);
        var resetsAt = (await JsonAsync(denied)).GetProperty("error").GetProperty("budget").GetProperty("resetsAt").GetString();
        Assert.Equal(BudgetWindows.NextMonthStart(DateTimeOffset.UtcNow).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture), resetsAt);
    }

    [Fact]
    public async Task KeyBudgetExhausted_DeniesThatKeyOnly_OtherKeysOfTheMemberKeepWorking()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var other = await CreateKeyAsync(host, "other-key");
        await PutOkAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/budget", """{"spend":{"type":"fixed","limit":"0"}}""");

        var denied = await ChatAsync(host);
        var allowed = await ChatAsync(host, other);

        await AssertDeniedAsync(denied, "key_budget_exceeded", "API Key Test Key has reached its budget limit ($0.00 / $0.00). Other Keys are not affected.");
        var budget = (await JsonAsync(denied)).GetProperty("error").GetProperty("budget");
        Assert.Equal("key", budget.GetProperty("scope").GetString());
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task MemberExhausted_StopsEveryKeyOfTheMember()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var other = await CreateKeyAsync(host, "other-key");
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget", """{"period":{"type":"rolling","limit":"0","window":"hour"}}""");

        await AssertDeniedAsync(await ChatAsync(host), "member_period_budget_exceeded", BudgetMessages.MemberPeriod);
        await AssertDeniedAsync(await ChatAsync(host, other), "member_period_budget_exceeded", BudgetMessages.MemberPeriod);
    }

    [Fact]
    public async Task KeyAndMemberBothExhausted_KeyMessageFirstWithTheMemberStatusInDetail()
    {
        await using var host = await GatewayTestHost.StartAsync();
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget", """{"spend":{"type":"fixed","limit":"0"}}""");
        await PutOkAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/budget", """{"period":{"type":"rolling","limit":"0","window":"day"}}""");

        var denied = await ChatAsync(host);

        await AssertDeniedAsync(denied, "key_period_budget_exceeded", "API Key Test Key has reached its period budget limit ($0.00 / $0.00). Other Keys are not affected.");
        var detail = (await JsonAsync(denied)).GetProperty("error").GetProperty("detail").GetString()!;
        Assert.StartsWith(BudgetMessages.MemberFixed, detail, StringComparison.Ordinal);
        Assert.Contains("All services are paused.", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PeriodCap_DeniesUntilTheSpendLeavesTheWindow_AndReportsWhen()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var memberId = await MemberIdAsync(host);
        var path = $"orgs/{host.OrgId}/members/{memberId}/budget";
        await PutOkAsync(host, path, """{"period":{"type":"rolling","limit":"1","window":"day"}}""");
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host)).StatusCode);
        var spent = await LedgerSumAsync(host);
        await PutOkAsync(host, path, $$$"""{"period":{"type":"rolling","limit":"{{{Money.ToWire(spent)}}}","window":"day"}}""");

        var denied = await ChatAsync(host);

        await AssertDeniedAsync(denied, "member_period_budget_exceeded", BudgetMessages.MemberPeriod);
        var period = (await GetAsync(host, path)).GetProperty("usage").GetProperty("period");
        Assert.Equal(Money.ToWire(spent), period.GetProperty("used").GetString());
        var resetsAt = DateTimeOffset.Parse(period.GetProperty("resetsAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        var bucket = BudgetWindows.BucketStart(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 15 * 60_000);
        Assert.InRange(resetsAt.ToUnixTimeMilliseconds() - 86_400_000, bucket - (15 * 60_000), bucket);
    }

    [Fact]
    public async Task OnlyASmallerAnswerFits_OutputIsClampedAndSaidSo()
    {
        await using var host = await GatewayTestHost.StartAsync();
        // fake-model: $2.5 / $10 per million, 1000 max output: a full request reserves about $0.0102; 256 tokens need about $0.0028.
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget", """{"spend":{"type":"fixed","limit":"0.005"}}""");

        var response = await ChatAsync(host, maxTokens: null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var clamped = long.Parse(response.Headers.GetValues("x-tollgate-output-clamped").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(clamped, 256, 999);
        Assert.Contains($"\"max_completion_tokens\":{clamped}", host.Fake.Requests[^1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BudgetDocument_UnknownField_Is400NamingTheFieldAndChangesNothing()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var path = $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget";

        var response = await PutAsync(host, path, """{"spend":{"type":"fixed","limit":"5"},"max_budget":"1"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await JsonAsync(response)).GetProperty("errors").TryGetProperty("max_budget", out _));
        Assert.Equal(JsonValueKind.Null, (await GetAsync(host, path)).GetProperty("configured").GetProperty("spend").ValueKind);
    }

    [Theory]
    [MemberData(nameof(Infrastructure.TestDatabases.Dialects), MemberType = typeof(Infrastructure.TestDatabases))]
    public async Task ParallelRequests_RacingOneMemberCap_NeverOvershootAndLeaveNothingReserved(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        var memberId = await MemberIdAsync(host);
        var path = $"orgs/{host.OrgId}/members/{memberId}/budget";
        const long cap = 2_000_000_000L; // $0.002: about 17 answers of ~$0.000113, about 8 reservations of ~$0.00025
        await PutOkAsync(host, path, $$$"""{"spend":{"type":"fixed","limit":"{{{Money.ToWire(cap)}}}"}}""");

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => ChatAsync(host, maxTokens: 10)));

        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Forbidden }));
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.Forbidden);
        var charged = await LedgerSumAsync(host);
        Assert.True(charged <= cap, $"charged {charged} > cap {cap}");
        Assert.Equal(responses.Count(r => r.StatusCode == HttpStatusCode.OK), (await host.LedgerAsync()).Count);
        var spend = (await GetAsync(host, path)).GetProperty("usage").GetProperty("spend");
        Assert.Equal("0", spend.GetProperty("reserved").GetString());
        Assert.Equal(Money.ToWire(charged), spend.GetProperty("used").GetString());

        // No phantom denial: with room again, a request that fits is admitted.
        await PutOkAsync(host, path, $$$"""{"spend":{"type":"fixed","limit":"{{{Money.ToWire(charged + 1_000_000_000L)}}}"}}""");
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host, maxTokens: 10)).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Infrastructure.TestDatabases.Dialects), MemberType = typeof(Infrastructure.TestDatabases))]
    public async Task BudgetChangedOverAndOverDuringTraffic_EveryChargeIsCountedExactlyOnce(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        var memberId = await MemberIdAsync(host);
        var path = $"orgs/{host.OrgId}/members/{memberId}/budget";
        var keyPath = $"orgs/{host.OrgId}/keys/{host.KeyId}/budget";

        await PutOkAsync(host, path, """{"spend":{"type":"monthly","limit":"99"},"period":{"type":"rolling","limit":"50","window":"hour"}}""");
        await PutOkAsync(host, keyPath, """{"spend":{"type":"fixed","limit":"9"}}""");

        // Every change (of the limits only, so what counts stays the same) makes the member's or the
        // key's caps load again from the ledger while answers keep settling: each charge must land in
        // the counters once, never twice or not at all.
        var traffic = Task.WhenAll(Enumerable.Range(0, 300).Select(_ => ChatAsync(host, maxTokens: 10)));
        for (var i = 0; !traffic.IsCompleted && i < 500; i++)
        {
            await PutOkAsync(host, path, $$$"""{"spend":{"type":"monthly","limit":"{{{100 + (i % 50)}}}"},"period":{"type":"rolling","limit":"50","window":"hour"}}""");
            await PutOkAsync(host, keyPath, $$$"""{"spend":{"type":"fixed","limit":"{{{10 + (i % 50)}}}"}}""");
        }

        var responses = await traffic;
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var charged = await LedgerSumAsync(host);
        var usage = (await GetAsync(host, path)).GetProperty("usage");
        Assert.Equal("0", usage.GetProperty("spend").GetProperty("reserved").GetString());
        Assert.Equal(Money.ToWire(charged), usage.GetProperty("spend").GetProperty("used").GetString());
        Assert.Equal(Money.ToWire(charged), usage.GetProperty("period").GetProperty("used").GetString());
    }

    [Theory]
    [MemberData(nameof(Infrastructure.TestDatabases.Dialects), MemberType = typeof(Infrastructure.TestDatabases))]
    public async Task SpendStateUnreadable_DeniesWith503_NothingReachesTheProvider_ThenRecovers(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        var path = $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget";
        await PutOkAsync(host, path, """{"spend":{"type":"fixed","limit":"10"}}"""); // the member's caps load again on the next request
        await using var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync();
        await Dapper.SqlMapper.ExecuteAsync(connection, "ALTER TABLE budgets RENAME TO budgets_unreadable");

        var denied = await ChatAsync(host);

        // Fail closed: spend state that cannot be read never admits.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, denied.StatusCode);
        Assert.Equal("budget_unavailable", (await JsonAsync(denied)).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(0, host.Fake.Stats.Requests);
        Assert.Empty(await host.LedgerAsync());

        await Dapper.SqlMapper.ExecuteAsync(connection, "ALTER TABLE budgets_unreadable RENAME TO budgets");
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host)).StatusCode);
    }

    [Fact]
    public async Task NewDeveloper_GetsTheDefaultLimitsOnTheirVeryFirstParallelRequests()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var (devToken, devMemberId) = await AddDeveloperAsync(host);
        var devKey = await CreateKeyAsync(host, "dev-key", devToken);
        await PutOkAsync(host, $"orgs/{host.OrgId}/default-developer-limits", """{"spend":{"type":"fixed","limit":"0"},"period":{"type":"rolling","limit":"5","window":"day"}}""");

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => ChatAsync(host, devKey)));

        foreach (var response in responses)
        {
            await AssertDeniedAsync(response, "member_budget_exceeded", BudgetMessages.MemberFixed);
        }

        Assert.Equal(0, host.Fake.Stats.Requests);
        var view = await GetAsync(host, $"orgs/{host.OrgId}/members/me/budget", devToken);
        Assert.Equal("default", view.GetProperty("effective").GetProperty("spend").GetProperty("source").GetString());
        Assert.Equal("default", view.GetProperty("effective").GetProperty("period").GetProperty("source").GetString());
        Assert.Equal(JsonValueKind.Null, view.GetProperty("configured").GetProperty("spend").ValueKind);
        // The owner is not a developer: defaults do not apply to them.
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host)).StatusCode);
        // A personal cap overrides the default for that cap only; the period cap is still inherited.
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{devMemberId}/budget", """{"spend":{"type":"unlimited"}}""");
        var after = await GetAsync(host, $"orgs/{host.OrgId}/members/{devMemberId}/budget");
        Assert.Equal("member", after.GetProperty("effective").GetProperty("spend").GetProperty("source").GetString());
        Assert.Equal("default", after.GetProperty("effective").GetProperty("period").GetProperty("source").GetString());
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host, devKey)).StatusCode);
    }

    [Fact]
    public async Task Restart_CountersAreRebuiltFromTheLedger()
    {
        string connectionString;
        long spent;
        string memberId;
        var path = "";
        await using (var first = await GatewayTestHost.StartAsync())
        {
            memberId = await MemberIdAsync(first);
            path = $"orgs/{first.OrgId}/members/{memberId}/budget";
            await PutOkAsync(first, path, """{"spend":{"type":"monthly","limit":"1"},"period":{"type":"rolling","limit":"1","window":"hour"}}""");
            Assert.Equal(HttpStatusCode.OK, (await ChatAsync(first)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await ChatAsync(first)).StatusCode);
            spent = await LedgerSumAsync(first);
            connectionString = first.Server.ConnectionString;
            // Reuse the account: sign in again on the restarted server with the same token (sessions are in the database).
            await using var second = await GatewayTestHost.StartAsync(connectionString: connectionString);
            var usage = (await GetAsync(second, path.Replace(first.OrgId, first.OrgId, StringComparison.Ordinal), first.Token)).GetProperty("usage");
            Assert.Equal(Money.ToWire(spent), usage.GetProperty("spend").GetProperty("used").GetString());
            Assert.Equal(Money.ToWire(spent), usage.GetProperty("period").GetProperty("used").GetString());
        }
    }

    [Fact]
    public async Task KeyUsageDocument_OnTheGatewayAndTheManagementApi_ShowTheEnforcedNumbers()
    {
        await using var host = await GatewayTestHost.StartAsync();
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget", """{"spend":{"type":"fixed","limit":"100"}}""");
        await PutOkAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/budget", """{"spend":{"type":"monthly","limit":"10"},"period":{"type":"rolling","limit":"2","window":"day"}}""");
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host)).StatusCode);
        var spent = await LedgerSumAsync(host);

        using var client = host.GatewayClient();
        var own = await JsonAsync(await client.GetAsync("v1/key"));
        var managed = await GetAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/usage");

        foreach (var doc in new[] { own, managed })
        {
            Assert.Equal(host.KeyId, doc.GetProperty("id").GetString());
            Assert.Equal("monthly", doc.GetProperty("budgetType").GetString());
            Assert.Equal("10", doc.GetProperty("usageLimit").GetString());
            Assert.Equal(Money.ToWire(spent), doc.GetProperty("usage").GetString());
            Assert.Equal("2", doc.GetProperty("periodUsageLimit").GetString());
            Assert.Equal("day", doc.GetProperty("periodWindow").GetString());
            Assert.Equal(Money.ToWire(spent), doc.GetProperty("currentPeriodUsage").GetString());
            Assert.Equal(Money.ToWire(100_000_000_000_000L - spent), doc.GetProperty("memberRemaining").GetString());
            Assert.NotEqual(JsonValueKind.Null, doc.GetProperty("usageResetAt").ValueKind);
        }
    }

    [Fact]
    public async Task KeyLimitAboveTheMembersLimit_Is400NamingTheMembersLimit()
    {
        await using var host = await GatewayTestHost.StartAsync();
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget", """{"spend":{"type":"monthly","limit":"50"}}""");

        var response = await PutAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/budget", """{"spend":{"type":"monthly","limit":"60"}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("$50.00", (await JsonAsync(response)).GetProperty("errors").GetProperty("spend.limit")[0].GetString(), StringComparison.Ordinal);
    }
}
