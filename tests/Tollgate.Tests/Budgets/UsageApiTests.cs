using System.Net;
using System.Net.Http.Json;
using Tollgate.Budgets;
using Tollgate.Storage;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Infrastructure;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Budgets;

public sealed class UsageApiTests
{
    [Fact]
    public async Task Authorize_ChecksTheMembersCapsButNeverTheKeys()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var memberPath = $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget";
        await PutOkAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/budget", """{"spend":{"type":"fixed","limit":"0"}}""");
        await PutOkAsync(host, memberPath, """{"spend":{"type":"fixed","limit":"10"}}""");
        using var client = host.GatewayClient();

        var allowed = await client.PostAsJsonAsync("v1/usage/authorize", new { service = "gpu", estimatedCost = "9.5" });
        var tooMuch = await client.PostAsJsonAsync("v1/usage/authorize", new { service = "gpu", estimatedCost = "10.5" });

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        await AssertDeniedAsync(tooMuch, "member_budget_exceeded", BudgetMessages.MemberFixed);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Events_ChargeTheMemberOnceperIdempotencyKey_AndNeverTheKey(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        var memberPath = $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget";
        await PutOkAsync(host, memberPath, """{"spend":{"type":"monthly","limit":"10"}}""");
        await PutOkAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/budget", """{"spend":{"type":"monthly","limit":"1"}}""");
        using var client = host.GatewayClient();
        var report = new { service = "gpu", cost = "2.5", idempotencyKey = "gpu-42-hour-7", occurredAt = DateTimeOffset.UtcNow.ToString("O"), description = "A100 hour" };

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => client.PostAsJsonAsync("v1/usage/events", report)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var charged = 0;
        foreach (var response in responses)
        {
            charged += (await JsonAsync(response)).GetProperty("charged").GetBoolean() ? 1 : 0;
        }

        Assert.Equal(1, charged);
        Assert.Equal("2.5", (await GetAsync(host, memberPath)).GetProperty("usage").GetProperty("spend").GetProperty("used").GetString());
        var key = await GetAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/usage");
        Assert.Equal("0", key.GetProperty("usage").GetString());
        // The key's own gateway budget is untouched by the service's charge.
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host)).StatusCode);
    }

    [Fact]
    public async Task Events_MissingIdempotencyKey_Is400AndNothingIsCharged()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsJsonAsync("v1/usage/events", new { service = "gpu", cost = "1", occurredAt = DateTimeOffset.UtcNow.ToString("O") });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("idempotencyKey", (await JsonAsync(response)).GetProperty("error").GetProperty("param").GetString());
        Assert.Empty(await host.LedgerAsync());
    }
}
