using System.Net;
using Tollgate.Budgets;
using Tollgate.Tests.Gateway;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Budgets;

/// <summary>
/// Size tiers through the gateway (test catalog's <c>tiered-model</c>: $1 per million tokens in and
/// out, $100 above 1,000 prompt tokens). A large prompt is reserved at the tier its size falls in
/// (a peer reserved it at the small-context price and overshot) and charged at the tier its
/// reported prompt tokens fall in.
/// </summary>
public sealed class PriceTierTests
{
    private static async Task<HttpResponseMessage> TieredChatAsync(GatewayTestHost host, string text, int maxTokens = 5)
    {
        using var client = host.Server.CreateClient(host.Key);
        return await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("tiered-model", text, maxTokens: maxTokens));
    }

    [Fact]
    public async Task LargePrompt_IsReservedAtItsTier_SoACapThatTheBasePriceWouldPassDeniesIt()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var memberId = await MemberIdAsync(host);
        // 2,000 bytes of prompt: at most ~2,100 tokens. Worst case at the base price ≈ $0.0021, fits $0.01;
        // at the tier (above 1,000 tokens) ≈ $0.21, does not.
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{memberId}/budget", """{"spend":{"type":"fixed","limit":"0.01"}}""");

        var large = await TieredChatAsync(host, new string('a', 2_000));
        var small = await TieredChatAsync(host, "short prompt");

        await AssertDeniedAsync(large, "member_budget_exceeded", BudgetMessages.MemberFixed);
        Assert.Equal(HttpStatusCode.OK, small.StatusCode);
        Assert.Equal(1, host.Fake.Stats.Requests); // only the small one went upstream
    }

    [Fact]
    public async Task Charge_UsesTheTierOfTheReportedPromptTokens()
    {
        await using var host = await GatewayTestHost.StartAsync();

        // The fake reports ceil(bytes / 4) prompt tokens: 8,000 bytes → 2,000 tokens, past the tier; 400 bytes → 100.
        Assert.Equal(HttpStatusCode.OK, (await TieredChatAsync(host, new string('a', 8_000))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await TieredChatAsync(host, new string('b', 400))).StatusCode);

        var rows = await host.LedgerAsync();
        Assert.Equal(2, rows.Count);
        var large = rows.Single(r => r.InputTokens > 1_000);
        var small = rows.Single(r => r.InputTokens <= 1_000);
        Assert.Equal(2_000, large.InputTokens);
        Assert.Equal(Money.ToPico((large.InputTokens + large.OutputTokens) * 100m / 1_000_000), large.CostPico);
        Assert.Equal(Money.ToPico((small.InputTokens + small.OutputTokens) * 1m / 1_000_000), small.CostPico);
        Assert.True(small.OutputTokens > 0);
    }
}
