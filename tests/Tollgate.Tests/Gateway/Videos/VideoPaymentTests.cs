using System.Net;
using System.Text.Json;
using Dapper;
using Tollgate.Budgets;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Infrastructure;
using static Tollgate.Tests.Budgets.BudgetTestCalls;
using static Tollgate.Tests.Gateway.Modalities.ModalityKit;
using static Tollgate.Tests.Gateway.Videos.VideoKit;

namespace Tollgate.Tests.Gateway.Videos;

/// <summary>
/// Who pays for a video job: an org's own provider key (created, polled and fetched with that key;
/// charged to the caps, never to credits, as chat on an org key is), or the org's credits (held while
/// the job runs and shown as reserved, charged once when it completes, released when it fails; a balance
/// too low for the hold is the 402 of budgets.md before the provider).
/// </summary>
public sealed class VideoPaymentTests
{
    private const string OrgSecret = "sk-org-own-video-key-0001";

    private static async Task<GatewayTestHost> StartHostAsync(DbDialect dialect, string pollSeconds = "3600") =>
        await GatewayTestHost.StartAsync(dialect, new Dictionary<string, string?>
        {
            ["Tollgate:Videos:PollSeconds"] = pollSeconds,
            ["Tollgate:Providers:AllowPrivateBaseUrls"] = "true",
        });

    private static async Task AddOrgKeyAsync(GatewayTestHost host)
    {
        using var owner = host.Server.CreateClient(host.Token);
        var added = await owner.ApiPostAsync($"orgs/{host.OrgId}/provider-keys",
            new { provider = "openai", name = "the org's OpenAI", apiKey = OrgSecret, baseUrl = host.Fake.OpenAIBaseUrl("openai") });
        Assert.True(added.Status == HttpStatusCode.Created, added.Text);
    }

    private static async Task SetCreditsModeAsync(GatewayTestHost host)
    {
        using var owner = host.Server.CreateClient(host.Token);
        var response = await owner.ApiPatchAsync($"orgs/{host.OrgId}", new { billingMode = "credits" });
        Assert.True(response.Status == HttpStatusCode.OK, response.Text);
    }

    private static async Task PurchaseAsync(GatewayTestHost host, string amount)
    {
        using var owner = host.Server.CreateClient(host.Token);
        var response = await owner.ApiPostAsync($"orgs/{host.OrgId}/credits/purchase", new { amount });
        Assert.True(response.Status == HttpStatusCode.Created, response.Text);
    }

    private static async Task<(string Balance, string Reserved)> CreditsAsync(GatewayTestHost host)
    {
        using var owner = host.Server.CreateClient(host.Token);
        var credits = await owner.ApiGetAsync($"orgs/{host.OrgId}/credits");
        Assert.True(credits.Status == HttpStatusCode.OK, credits.Text);
        return (credits.Str("balance"), credits.Str("reserved"));
    }

    private static async Task<(string Credential, long CreditsPico)> LedgerPaymentAsync(GatewayTestHost host)
    {
        await using var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync();
        return await connection.QuerySingleAsync<(string, long)>("SELECT credential, credits_pico FROM ledger");
    }

    private static List<global::Tollgate.FakeProviders.RecordedRequest> VideoCalls(GatewayTestHost host) =>
        host.Fake.Requests.Where(r => r.Path.Contains("/v1/videos", StringComparison.Ordinal)).ToList();

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task OrgKey_CreatesPollsAndFetchesWithTheOrgsKey_ChargedToTheCapsNeverToCredits(DbDialect dialect)
    {
        await using var host = await StartHostAsync(dialect);
        await SetCreditsModeAsync(host); // no credits at all: only the org's own key can serve
        await AddOrgKeyAsync(host);

        using var client = host.GatewayClient();
        var id = (await CreateOkAsync(client)).GetProperty("id").GetString()!;
        Assert.Equal(("0", "0.8"), await MemberSpendAsync(host));
        Assert.Equal(("0", "0"), await CreditsAsync(host));
        await WaitForStatusAsync(client, id, "completed");
        var content = await client.GetAsync($"v1/videos/{id}/content", TestContext.Current.CancellationToken).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.OK, content.StatusCode);
        var calls = VideoCalls(host);
        Assert.Equal(1, UpstreamCreates(host));
        Assert.Contains(calls, c => c.Body.Length == 0 && !c.Path.EndsWith("/content", StringComparison.Ordinal)); // a status read
        Assert.Contains(calls, c => c.Path.EndsWith("/content", StringComparison.Ordinal));
        Assert.All(calls, c => Assert.Equal("Bearer " + OrgSecret, c.Authorization));
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("ok", Pico(8 * 0.1m)), (row.Status, row.CostPico));
        Assert.Equal((LedgerEntry.OrgCredential, 0L), await LedgerPaymentAsync(host));
        Assert.Equal(("0.8", "0"), await MemberSpendAsync(host));
        Assert.Equal(("0", "0"), await CreditsAsync(host));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task OrgKey_TheBackgroundPollerFollowsTheJobWithTheOrgsKey(DbDialect dialect)
    {
        await using var host = await StartHostAsync(dialect, pollSeconds: "0.2");
        await AddOrgKeyAsync(host);

        using var client = host.GatewayClient();
        await CreateOkAsync(client);
        await EventuallyAsync(async () => (await host.LedgerAsync()).Count == 1, "the poller settles the job");

        Assert.Contains(VideoCalls(host), c => c.Body.Length == 0); // the poller's status reads
        Assert.All(VideoCalls(host), c => Assert.Equal("Bearer " + OrgSecret, c.Authorization));
        Assert.Equal((LedgerEntry.OrgCredential, 0L), await LedgerPaymentAsync(host));
        Assert.Equal(Pico(8 * 0.1m), Assert.Single(await host.LedgerAsync()).CostPico);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Credits_HeldWhileQueued_ShownReserved_ChargedOnceWhenCompleted(DbDialect dialect)
    {
        await using var host = await StartHostAsync(dialect);
        await PurchaseAsync(host, "10");
        await SetCreditsModeAsync(host);
        using var client = host.GatewayClient();

        var id = (await CreateOkAsync(client)).GetProperty("id").GetString()!;
        Assert.Equal(("10", "0.8"), await CreditsAsync(host));
        Assert.Empty(await host.LedgerAsync());
        await WaitForStatusAsync(client, id, "completed");
        await WaitForStatusAsync(client, id, "completed"); // a second read charges nothing more

        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(Pico(8 * 0.1m), row.CostPico);
        Assert.Equal((LedgerEntry.ServerCredential, Pico(8 * 0.1m)), await LedgerPaymentAsync(host));
        Assert.Equal(("9.2", "0"), await CreditsAsync(host));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Credits_AFailedJobReleasesItsHold_NothingCharged(DbDialect dialect)
    {
        await using var host = await StartHostAsync(dialect);
        await PurchaseAsync(host, "1");
        await SetCreditsModeAsync(host);
        using var client = host.GatewayClient();

        var id = (await CreateOkAsync(client, Create(knobs: "fake:video_ms=300 fake:video_outcome=failed"))).GetProperty("id").GetString()!;
        Assert.Equal(("1", "0.8"), await CreditsAsync(host));
        await WaitForStatusAsync(client, id, "failed");

        Assert.Equal(("1", "0"), await CreditsAsync(host));
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(0L, row.CostPico);
        Assert.Equal((LedgerEntry.ServerCredential, 0L), await LedgerPaymentAsync(host));

        // The released hold makes room for the same job again.
        Assert.Equal("queued", (await CreateOkAsync(client)).GetProperty("status").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Credits_TooLowForTheHold_402BeforeTheProvider_NeverBilled(DbDialect dialect)
    {
        await using var host = await StartHostAsync(dialect);
        await PurchaseAsync(host, "0.5"); // the job's bound is 8 s × $0.10 = $0.80
        await SetCreditsModeAsync(host);
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/videos", Create(), TestContext.Current.CancellationToken).WaitAsync(Wait);

        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        var error = (await JsonAsync(response)).GetProperty("error");
        Assert.Equal(("insufficient_credits", "Organization has insufficient credits."), (error.GetProperty("code").GetString(), error.GetProperty("message").GetString()));
        Assert.Equal(0, UpstreamCreates(host));
        Assert.Empty(await host.LedgerAsync());
        Assert.Equal(("0.5", "0"), await CreditsAsync(host));
    }
}
