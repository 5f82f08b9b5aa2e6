using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Tollgate.Budgets;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Infrastructure;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Budgets;

/// <summary>Org credits: the balance as a cap (402 before key and member caps), the grant, transactions, and the usage API.</summary>
public sealed class CreditsTests
{
    // :: Helpers

    private static async Task<ApiResponse> PurchaseAsync(TollgateServer server, string token, string orgId, object body)
    {
        using var client = server.CreateClient(token);
        return await client.ApiPostAsync($"orgs/{orgId}/credits/purchase", body);
    }

    private static async Task<JsonElement> PurchaseOkAsync(GatewayTestHost host, string amount, TollgateServer? node = null)
    {
        var response = await PurchaseAsync(node ?? host.Server, host.Token, host.OrgId, new { amount });
        Assert.True(response.Status == HttpStatusCode.Created, $"purchase: {(int)response.Status} {response.Text}");
        return response.Body;
    }

    private static async Task SetModeAsync(GatewayTestHost host, string mode, TollgateServer? node = null)
    {
        using var client = (node ?? host.Server).CreateClient(host.Token);
        var response = await client.ApiPatchAsync($"orgs/{host.OrgId}", new { billingMode = mode });
        Assert.True(response.Status == HttpStatusCode.OK, $"PATCH billingMode: {(int)response.Status} {response.Text}");
        Assert.Equal(mode, response.Str("billingMode"));
    }

    private static async Task<JsonElement> CreditsAsync(GatewayTestHost host, TollgateServer? node = null)
    {
        using var client = (node ?? host.Server).CreateClient(host.Token);
        var response = await client.ApiGetAsync($"orgs/{host.OrgId}/credits");
        Assert.True(response.Status == HttpStatusCode.OK, $"GET credits: {(int)response.Status} {response.Text}");
        return response.Body;
    }

    private static async Task<HttpResponseMessage> ChatOnAsync(TollgateServer node, string key, int maxTokens = 10)
    {
        using var client = node.CreateClient(key);
        return await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "credits", maxTokens: maxTokens));
    }

    /// <summary>The ledger's charges to credits: (sum of credits_pico, rows whose credits_pico differs from their cost).</summary>
    private static async Task<(long Credits, long Mismatched)> LedgerCreditsAsync(GatewayTestHost host)
    {
        await using var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync();
        var credits = await connection.ExecuteScalarAsync<long>("SELECT COALESCE(SUM(credits_pico), 0) FROM ledger");
        var mismatched = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM ledger WHERE credits_pico <> cost_pico");
        return (credits, mismatched);
    }

    private static async Task AssertInsufficientCreditsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        var error = (await JsonAsync(response)).GetProperty("error");
        Assert.Equal("insufficient_credits", error.GetProperty("code").GetString());
        Assert.Equal("Organization has insufficient credits.", error.GetProperty("message").GetString());
        Assert.Equal("insufficient_credits", error.GetProperty("type").GetString());
        Assert.False(error.TryGetProperty("budget", out _));
    }

    // :: Charging

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task CreditsMode_ARequestIsChargedItsLedgerCost_AndTheBalanceShowsIt(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        await PurchaseOkAsync(host, "10");
        await SetModeAsync(host, "credits");

        var response = await ChatAsync(host);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var cost = await LedgerSumAsync(host);
        Assert.True(cost > 0);
        Assert.Equal((cost, 0L), await LedgerCreditsAsync(host));
        var credits = await CreditsAsync(host);
        Assert.Equal(Money.ToWire(Money.ToPico(10m) - cost), credits.GetProperty("balance").GetString());
        Assert.Equal("0", credits.GetProperty("reserved").GetString());
        Assert.Equal("credits", credits.GetProperty("billingMode").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task ByokOrg_IsNeverChargedCredits_AndNeverDenied402(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);

        var withoutCredits = await ChatAsync(host);
        await PurchaseOkAsync(host, "1");
        var withCredits = await ChatAsync(host);

        Assert.Equal(HttpStatusCode.OK, withoutCredits.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withCredits.StatusCode);
        Assert.Equal(2, (await host.LedgerAsync()).Count);
        Assert.Equal(0, (await LedgerCreditsAsync(host)).Credits);
        var credits = await CreditsAsync(host);
        Assert.Equal("1", credits.GetProperty("balance").GetString());
        Assert.Equal("byok", credits.GetProperty("billingMode").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task ZeroBalanceInCreditsMode_Is402WithTheExactBody_NothingGoesUpstream_NoLedgerRow(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        await SetModeAsync(host, "credits");

        var response = await ChatAsync(host, maxTokens: 1);

        await AssertInsufficientCreditsAsync(response);
        Assert.Equal(0, host.Fake.Stats.Requests);
        Assert.Empty(await host.LedgerAsync());
        Assert.Equal("0", (await CreditsAsync(host)).GetProperty("balance").GetString());
    }

    [Fact]
    public async Task BalanceUsedUpExactly_Is402_AndAPurchaseAdmitsTheRetry()
    {
        await using var host = await GatewayTestHost.StartAsync();
        await PurchaseOkAsync(host, "1");
        await SetModeAsync(host, "credits");
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host)).StatusCode);
        var cost = await LedgerSumAsync(host);
        await using (var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync())
        {
            // Leave exactly 0: charged = credited.
            await connection.ExecuteAsync("UPDATE org_credits SET credited_pico = @cost WHERE org_id = @org", new { cost, org = host.OrgId });
        }

        Assert.Equal("0", (await CreditsAsync(host)).GetProperty("balance").GetString());
        await AssertInsufficientCreditsAsync(await ChatAsync(host));

        await PurchaseOkAsync(host, "0.5");
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host)).StatusCode);
    }

    [Fact]
    public async Task DefaultModeCredits_NewOrgsStartInCreditsModeWithNoCredits()
    {
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Billing:DefaultMode"] = "credits" });

        await AssertInsufficientCreditsAsync(await ChatAsync(host));
        await PurchaseOkAsync(host, "1");
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host)).StatusCode);
    }

    [Fact]
    public async Task SmallBalance_ClampsTheOutputToWhatTheCreditsPayFor()
    {
        await using var host = await GatewayTestHost.StartAsync();
        await PurchaseOkAsync(host, "0.005");
        await SetModeAsync(host, "credits");

        // 1000 output tokens at $10/M would cost $0.01; the balance pays for about half of them.
        var response = await ChatAsync(host, maxTokens: 1000);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var clamped = long.Parse(response.Headers.GetValues("x-tollgate-output-clamped").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(clamped, 256, 999);
        var balance = Money.ToPico(decimal.Parse((await CreditsAsync(host)).GetProperty("balance").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Money.ToPico(0.005m) - await LedgerSumAsync(host), balance);
        Assert.True(balance >= 0);
    }

    // :: Order of checks

    [Fact]
    public async Task DisabledKey_Is401_EvenWithNoCredits()
    {
        await using var host = await GatewayTestHost.StartAsync();
        await SetModeAsync(host, "credits");
        using var owner = host.Server.CreateClient(host.Token);
        Assert.Equal(HttpStatusCode.OK, (await owner.ApiPatchAsync($"orgs/{host.OrgId}/keys/{host.KeyId}", new { status = "disabled" })).Status);

        var response = await ChatAsync(host);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_api_key", (await JsonAsync(response)).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task RevokedProjectAccess_Is403ProjectAccessRevoked_EvenWithNoCredits()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var (devToken, devMemberId) = await AddDeveloperAsync(host);
        var devKey = await CreateKeyAsync(host, "dev-key", devToken);
        using var owner = host.Server.CreateClient(host.Token);
        var other = await owner.ApiPostAsync($"orgs/{host.OrgId}/projects", new { name = "Other" });
        Assert.Equal(HttpStatusCode.OK, (await owner.ApiPatchAsync($"orgs/{host.OrgId}/members/{devMemberId}", new { projectIds = new[] { other.Str("id") } })).Status);
        await SetModeAsync(host, "credits");

        var response = await ChatAsync(host, devKey);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("project_access_revoked", (await JsonAsync(response)).GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task NoCreditsAndAMemberOverBudget_Is402_CreditsComeBeforeTheCaps()
    {
        await using var host = await GatewayTestHost.StartAsync();
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget", """{"spend":{"type":"fixed","limit":"0"}}""");
        await PutOkAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/budget", """{"spend":{"type":"fixed","limit":"0"}}""");
        await SetModeAsync(host, "credits");

        await AssertInsufficientCreditsAsync(await ChatAsync(host));

        // With credits, the caps answer as before.
        await PurchaseOkAsync(host, "1");
        var denied = await ChatAsync(host);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("key_budget_exceeded", (await JsonAsync(denied)).GetProperty("error").GetProperty("code").GetString());
    }

    // :: Concurrency

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task ParallelRequestsRacingASmallBalance_NeverOvershoot_AndNoPhantomDenialAfterwards(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        const long balance = 2_000_000_000L; // $0.002: a few worst cases at a time
        await PurchaseOkAsync(host, Money.ToWire(balance));
        await SetModeAsync(host, "credits");

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => ChatOnAsync(host.Server, host.Key)));

        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.PaymentRequired }));
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.PaymentRequired);
        var (charged, mismatched) = await LedgerCreditsAsync(host);
        Assert.True(charged <= balance, $"charged {charged} > balance {balance}");
        Assert.Equal(0, mismatched);
        Assert.Equal(responses.Count(r => r.StatusCode == HttpStatusCode.OK), (await host.LedgerAsync()).Count);
        var credits = await CreditsAsync(host);
        Assert.Equal("0", credits.GetProperty("reserved").GetString());
        Assert.Equal(Money.ToWire(balance - charged), credits.GetProperty("balance").GetString());

        await PurchaseOkAsync(host, "1");
        Assert.Equal(HttpStatusCode.OK, (await ChatOnAsync(host.Server, host.Key)).StatusCode);
        Assert.Equal("0", (await CreditsAsync(host)).GetProperty("reserved").GetString());
    }

    [Fact]
    public async Task ParallelRequestsSplitAcrossTwoNodes_RacingASmallBalance_NeverOvershoot()
    {
        await using var host = await GatewayTestHost.StartAsync(DbDialect.Postgres);
        await using var second = await host.StartSecondNodeAsync();
        var (developerToken, _) = await AddDeveloperAsync(host);
        var developerKey = await CreateKeyAsync(host, "developer", developerToken);
        const long balance = 2_000_000_000L;
        await PurchaseOkAsync(host, Money.ToWire(balance));
        await SetModeAsync(host, "credits");

        // Two members (so two member locks) of one org, on two nodes: only the org's credits bind them.
        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            ChatOnAsync(i % 2 == 0 ? host.Server : second, i % 4 < 2 ? host.Key : developerKey)));

        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.PaymentRequired }));
        // Which node wins the small balance is a race; that the balance is never overspent is not.
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        var (charged, mismatched) = await LedgerCreditsAsync(host);
        Assert.True(charged <= balance, $"charged {charged} > balance {balance}");
        Assert.Equal(0, mismatched);
        foreach (var node in new[] { host.Server, second })
        {
            var credits = await CreditsAsync(host, node);
            Assert.Equal("0", credits.GetProperty("reserved").GetString());
            Assert.Equal(Money.ToWire(balance - charged), credits.GetProperty("balance").GetString());
        }

        // A purchase on one node is enforced by the other at once.
        await PurchaseOkAsync(host, "1", host.Server);
        Assert.Equal(HttpStatusCode.OK, (await ChatOnAsync(second, developerKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ChatOnAsync(second, host.Key)).StatusCode);
    }

    [Fact]
    public async Task CreditHoldsOfALiveNodeCount_HoldsOfADeadNodeAreIgnored()
    {
        await using var host = await GatewayTestHost.StartAsync(DbDialect.Postgres);
        await PurchaseOkAsync(host, "1");
        await SetModeAsync(host, "credits");
        await using var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync();
        var now = await AddDeadAndLiveNodesAsync(connection);
        // Holds of another member of the org: only the org's credits bind them to this request.
        await connection.ExecuteAsync(
            "INSERT INTO budget_holds (id, node_id, member_id, key_id, amount_pico, created_at, org_id) VALUES ('hold_dead', 'node_dead', 'mem_x', 'key_x', 1000000000000, @now, @org)",
            new { now, org = host.OrgId });

        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host)).StatusCode);

        await connection.ExecuteAsync(
            "INSERT INTO budget_holds (id, node_id, member_id, key_id, amount_pico, created_at, org_id) VALUES ('hold_live', 'node_live', 'mem_x', 'key_x', 1000000000000, @now, @org)",
            new { now, org = host.OrgId });
        await AssertInsufficientCreditsAsync(await ChatAsync(host));
        Assert.True(Money.ToPico(decimal.Parse((await CreditsAsync(host)).GetProperty("reserved").GetString()!, System.Globalization.CultureInfo.InvariantCulture)) >= Money.ToPico(1m));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Ledger_ChargesCreditsPerOrgOncePerRow_EvenWhenARowIsAppendedTwice(DbDialect dialect)
    {
        await using var db = await TestDatabases.CreateAsync(dialect);
        await using (var connection = await db.OpenAsync())
        {
            await connection.ExecuteAsync(
                "INSERT INTO orgs (id, name, plan, billing_mode, created_at) VALUES ('org_a', 'A', 'enterprise', 'credits', 0), ('org_b', 'B', 'enterprise', 'credits', 0)");
        }

        LedgerEntry Row(string requestId, string orgId, long cost, bool credits) => new()
        {
            Id = Tollgate.Hosting.Ids.New("led"),
            RequestId = requestId,
            Attempt = 1,
            OrgId = orgId,
            ProjectId = "prj_x",
            MemberId = "mem_" + orgId,
            KeyId = "key_x",
            Service = "llm",
            Endpoint = "chat.completions",
            Model = "fake-model",
            Provider = "openai",
            ProviderModel = "fake",
            Status = LedgerStatus.Ok,
            HttpStatus = 200,
            CostPico = cost,
            CreditsPico = credits ? cost : 0,
            StartedAt = DateTimeOffset.UtcNow,
            EndedAt = DateTimeOffset.UtcNow,
        };

        await using (var ledger = new SpendLedger(db, Microsoft.Extensions.Logging.Abstractions.NullLogger<SpendLedger>.Instance))
        {
            var repeated = Row("req_1", "org_a", 100, credits: true);
            await Task.WhenAll(
                ledger.AppendAsync(repeated),
                ledger.AppendAsync(Row("req_2", "org_a", 20, credits: true)),
                ledger.AppendAsync(Row("req_3", "org_b", 7, credits: true)),
                ledger.AppendAsync(Row("req_4", "org_b", 1000, credits: false)));
            await ledger.AppendAsync(repeated with { Id = Tollgate.Hosting.Ids.New("led") });
            await ledger.AppendAsync(repeated);
        }

        await using (var connection = await db.OpenAsync())
        {
            var charged = (await connection.QueryAsync<(string OrgId, long Charged)>("SELECT org_id, charged_pico FROM org_credits ORDER BY org_id")).ToList();
            Assert.Equal([("org_a", 120L), ("org_b", 7L)], charged);
            Assert.Equal(4, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM ledger"));
            Assert.Equal(127, await connection.ExecuteScalarAsync<long>("SELECT SUM(credits_pico) FROM ledger"));
        }
    }

    // :: Purchases and billing mode

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Purchase_RaisesTheBalance_AndSwitchingBillingModeTakesEffectOnTheNextRequest(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host)).StatusCode); // byok: admitted with no credits

        await SetModeAsync(host, "credits");
        await AssertInsufficientCreditsAsync(await ChatAsync(host));

        var purchase = await PurchaseOkAsync(host, "2.5");
        Assert.Equal("2.5", (await CreditsAsync(host)).GetProperty("balance").GetString());
        Assert.Equal("credit_purchase", purchase.GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host)).StatusCode);
        var afterOne = await LedgerSumAsync(host);

        await SetModeAsync(host, "byok");
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(host)).StatusCode);

        // Only the request made in credits mode was charged to credits.
        var firstCost = (await host.LedgerAsync())[0].CostPico;
        Assert.Equal(afterOne - firstCost, (await LedgerCreditsAsync(host)).Credits);
        Assert.Equal(Money.ToWire(Money.ToPico(2.5m) - (afterOne - firstCost)), (await CreditsAsync(host)).GetProperty("balance").GetString());
    }

    [Fact]
    public async Task BillingModeChangedOnOneNode_IsEnforcedByTheOtherWithinOneSecond()
    {
        await using var host = await GatewayTestHost.StartAsync(DbDialect.Postgres);
        await using var second = await host.StartSecondNodeAsync();
        Assert.Equal(HttpStatusCode.OK, (await ChatOnAsync(second, host.Key)).StatusCode); // byok, loaded on the second node

        await SetModeAsync(host, "credits", host.Server);
        await Task.Delay(TimeSpan.FromSeconds(1));
        await AssertInsufficientCreditsAsync(await ChatOnAsync(second, host.Key));

        await SetModeAsync(host, "byok", host.Server);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await ChatOnAsync(second, host.Key)).StatusCode);
        Assert.Equal(0, (await LedgerCreditsAsync(host)).Credits);
    }

    [Theory]
    [InlineData("\"0\"")]
    [InlineData("0")]
    [InlineData("\"-1\"")]
    [InlineData("-5")]
    [InlineData("\"abc\"")]
    [InlineData("\"1e3\"")]
    [InlineData("\" 5\"")]
    [InlineData("\"1.0000000000001\"")]
    [InlineData("true")]
    [InlineData("null")]
    public async Task Purchase_AmountNotStrictlyPositiveOrMalformed_Is400NamingAmount(string amountJson)
    {
        await using var host = await GatewayTestHost.StartAsync();

        var response = await PurchaseAsync(host.Server, host.Token, host.OrgId, $$"""{"amount":{{amountJson}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal(["amount"], response.ErrorFields);
        Assert.Equal("0", (await CreditsAsync(host)).GetProperty("balance").GetString());
        using var client = host.Server.CreateClient(host.Token);
        Assert.Empty((await client.ApiGetAsync($"orgs/{host.OrgId}/transactions")).Body.GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task Purchase_MissingAmount_Is400NamingAmount_TwelveDecimalsAndNumbersAreAccepted()
    {
        await using var host = await GatewayTestHost.StartAsync();

        var missing = await PurchaseAsync(host.Server, host.Token, host.OrgId, new { });
        var twelve = await PurchaseAsync(host.Server, host.Token, host.OrgId, new { amount = "0.000000000001" });
        var number = await PurchaseAsync(host.Server, host.Token, host.OrgId, """{"amount":2}""");

        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.Equal(["amount"], missing.ErrorFields);
        Assert.Equal(HttpStatusCode.Created, twelve.Status);
        Assert.Equal(HttpStatusCode.Created, number.Status);
        Assert.Equal("2.000000000001", (await CreditsAsync(host)).GetProperty("balance").GetString());
    }

    [Fact]
    public async Task Transactions_ListNewestFirstInTheApiShape_AndPurchasesAreAudited()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var first = await PurchaseOkAsync(host, "1.5");
        await Task.Delay(5); // ids are time-ordered to the millisecond
        var second = await PurchaseOkAsync(host, "3");
        using var client = host.Server.CreateClient(host.Token);

        var list = await client.ApiGetAsync($"orgs/{host.OrgId}/transactions");
        var page = await client.ApiGetAsync($"orgs/{host.OrgId}/transactions?limit=1");
        var audit = await client.ApiGetAsync($"orgs/{host.OrgId}/audit-logs?action=credits.purchase");

        Assert.Equal(HttpStatusCode.OK, list.Status);
        var data = list.Body.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal([second.GetProperty("id").GetString(), first.GetProperty("id").GetString()], data.Select(t => t.GetProperty("id").GetString()));
        var newest = data[0];
        Assert.Equal("credit_purchase", newest.GetProperty("type").GetString());
        Assert.Equal("completed", newest.GetProperty("status").GetString());
        Assert.Equal("3", newest.GetProperty("amount").GetString());
        Assert.Equal("USD", newest.GetProperty("currency").GetString());
        Assert.Equal("3", newest.GetProperty("creditAmount").GetString());
        Assert.Matches(ApiCalls.TimePattern, newest.GetProperty("createdAt").GetString()!);
        Assert.Equal(JsonValueKind.Null, newest.GetProperty("relatedTransactionId").ValueKind);
        Assert.Matches(@"^INV-\d{4}-\d{6}$", newest.GetProperty("documentNumber").GetString()!); // a grant is a completed charge: it has an invoice
        Assert.Equal(JsonValueKind.Null, list.Body.GetProperty("nextCursor").ValueKind);

        Assert.Single(page.Body.GetProperty("data").EnumerateArray());
        var rest = await client.ApiGetAsync($"orgs/{host.OrgId}/transactions?limit=1&cursor={page.Str("nextCursor")}");
        Assert.Equal(first.GetProperty("id").GetString(), rest.Body.GetProperty("data")[0].GetProperty("id").GetString());

        var entries = audit.Body.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(2, entries.Count);
        Assert.All(entries, e => Assert.Equal("transaction", e.GetProperty("target").GetProperty("type").GetString()));
        Assert.Equal("4.5", (await CreditsAsync(host)).GetProperty("balance").GetString());
    }

    // :: Who may

    [Fact]
    public async Task Developer_CannotSeeOrBuyCredits_AndAnotherOrgsIdIs404()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var (developerToken, _) = await AddDeveloperAsync(host);
        var (strangerToken, _) = await AccountSetup.SignUpAndLogInAsync(host.Server);
        using var developer = host.Server.CreateClient(developerToken);
        using var stranger = host.Server.CreateClient(strangerToken);

        Assert.Equal(HttpStatusCode.Forbidden, (await developer.ApiGetAsync($"orgs/{host.OrgId}/credits")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await developer.ApiGetAsync($"orgs/{host.OrgId}/transactions")).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await developer.ApiPostAsync($"orgs/{host.OrgId}/credits/purchase", new { amount = "5" })).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.ApiGetAsync($"orgs/{host.OrgId}/credits")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.ApiGetAsync($"orgs/{host.OrgId}/transactions")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.ApiPostAsync($"orgs/{host.OrgId}/credits/purchase", new { amount = "5" })).Status);
        Assert.Equal("0", (await CreditsAsync(host)).GetProperty("balance").GetString());
    }

    // :: Usage API

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task UsageAuthorize_ChecksTheCredits_402InOpenAIFormatWhenTheyHaveNoRoom(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        using var client = host.GatewayClient();
        var byok = await client.PostAsJsonAsync("v1/usage/authorize", new { service = "gpu", estimatedCost = "5" });
        await PurchaseOkAsync(host, "1");
        await SetModeAsync(host, "credits");

        var fits = await client.PostAsJsonAsync("v1/usage/authorize", new { service = "gpu", estimatedCost = "0.75" });
        var tooMuch = await client.PostAsJsonAsync("v1/usage/authorize", new { service = "gpu", estimatedCost = "1.5" });

        Assert.Equal(HttpStatusCode.OK, byok.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
        await AssertInsufficientCreditsAsync(tooMuch);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task UsageEvents_DeductCreditsInCreditsModeOncePerIdempotencyKey_AndAuthorizeSeesIt(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        await PurchaseOkAsync(host, "1");
        using var client = host.GatewayClient();
        var inByok = new { service = "gpu", cost = "0.5", idempotencyKey = "byok-hour", occurredAt = DateTimeOffset.UtcNow.ToString("O"), description = "A100 hour" };
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("v1/usage/events", inByok)).StatusCode);
        Assert.Equal("1", (await CreditsAsync(host)).GetProperty("balance").GetString());
        await SetModeAsync(host, "credits");
        var report = new { service = "gpu", cost = "0.25", idempotencyKey = "gpu-42-hour-7", occurredAt = DateTimeOffset.UtcNow.ToString("O"), description = "A100 hour" };

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => client.PostAsJsonAsync("v1/usage/events", report)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal("0.75", (await CreditsAsync(host)).GetProperty("balance").GetString());
        Assert.Equal(Money.ToPico(0.25m), (await LedgerCreditsAsync(host)).Credits);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("v1/usage/authorize", new { service = "gpu", estimatedCost = "0.75" })).StatusCode);
        await AssertInsufficientCreditsAsync(await client.PostAsJsonAsync("v1/usage/authorize", new { service = "gpu", estimatedCost = "0.76" }));
    }
}
