using System.Net;
using System.Text.Json;
using Dapper;
using Tollgate.FakeProviders;
using Tollgate.ProviderKeys;
using Tollgate.Storage;
using Tollgate.Tests.Accounts;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.ProviderKeys;

/// <summary>
/// Requests of an org with its own provider keys: the org's key serves them, the ledger says so, the
/// org's credits are never touched, rotation reaches every node within a second, and a base URL on
/// the server's own network is refused when the connection is made.
/// </summary>
public sealed class OrgKeyRoutingTests
{
    private const string OrgSecret = "sk-org-own-openai-key-0001";

    private static readonly Dictionary<string, string?> AllowFake = new() { ["Tollgate:Providers:AllowPrivateBaseUrls"] = "true" };

    private static async Task<HttpResponseMessage> ChatAsync(TollgateServer node, string key, string model = "fake-model")
    {
        using var client = node.CreateClient(key);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody(model, "hello"), cts.Token);
    }

    private static async Task<string> AddKeyAsync(GatewayTestHost host, string provider, string apiKey, string baseUrl)
    {
        using var owner = host.Server.CreateClient(host.Token);
        var created = await owner.ApiPostAsync($"orgs/{host.OrgId}/provider-keys", new { provider, name = provider + " of the org", apiKey, baseUrl });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        return created.Str("id");
    }

    private static async Task<List<string>> CredentialsAsync(GatewayTestHost host)
    {
        await using var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync();
        return (await connection.QueryAsync<string>("SELECT credential FROM ledger ORDER BY started_at, attempt")).AsList();
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task OrgKey_IsPreferredOverTheServersKey_AndTheLedgerSaysWhichServed(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect, AllowFake);
        using (var before = await ChatAsync(host.Server, host.Key))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await AddKeyAsync(host, "openai", OrgSecret, host.Fake.OpenAIBaseUrl("openai"));
        using var after = await ChatAsync(host.Server, host.Key);

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("openai", after.Headers.GetValues("x-tollgate-provider").Single());
        Assert.Equal(["Bearer sk-server-openai-secret", "Bearer " + OrgSecret], host.Fake.Requests.Select(r => r.Authorization));
        Assert.Equal(["server", "org"], await CredentialsAsync(host));
        Assert.All(await host.LedgerAsync(), r => Assert.True(r.CostPico > 0)); // spend is spend, whoever's key
    }

    [Fact]
    public async Task OrgKey_MakesAProviderReachable_ThatTheServerHasNoKeyFor()
    {
        await using var host = await GatewayTestHost.StartAsync(settings: AllowFake);
        using (var none = await ChatAsync(host.Server, host.Key, "byok-groq"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, none.StatusCode);
            Assert.Contains("provider_not_configured", await none.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }

        await AddKeyAsync(host, "groq", "gsk-org-groq-key-000000001", host.Fake.OpenAIBaseUrl("groq"));
        using var served = await ChatAsync(host.Server, host.Key, "byok-groq");

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("groq", served.Headers.GetValues("x-tollgate-provider").Single());
        var upstream = host.Fake.Requests.Single();
        Assert.Equal("groq", upstream.Provider);
        Assert.Equal("Bearer gsk-org-groq-key-000000001", upstream.Authorization);
        Assert.Equal("groq-upstream", JsonDocument.Parse(upstream.Body).RootElement.GetProperty("model").GetString());
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task OrgKey_NeverConsumesCredits_WhileMemberCapsStillApply(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect, AllowFake);
        using var owner = host.Server.CreateClient(host.Token);
        Assert.Equal(HttpStatusCode.OK, (await owner.ApiPatchAsync($"orgs/{host.OrgId}", new { billingMode = "credits" })).Status);

        // No credits at all: the server's key is refused, the org's own key serves and charges no credits.
        using (var denied = await ChatAsync(host.Server, host.Key))
        {
            Assert.Equal(HttpStatusCode.PaymentRequired, denied.StatusCode);
        }

        var keyId = await AddKeyAsync(host, "openai", OrgSecret, host.Fake.OpenAIBaseUrl("openai"));
        using (var served = await ChatAsync(host.Server, host.Key))
        {
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }

        var credits = await owner.ApiGetAsync($"orgs/{host.OrgId}/credits");
        Assert.Equal("0", credits.Str("balance"));
        Assert.Equal("0", credits.Str("reserved"));
        var row = Assert.Single(await host.LedgerAsync());
        Assert.True(row.CostPico > 0);
        await using (var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync())
        {
            Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT credits_pico FROM ledger"));
        }

        // The member's cap applies to requests on the org's key too.
        var memberId = (await owner.ApiGetAsync($"orgs/{host.OrgId}/members/me")).Str("memberId");
        Assert.Equal(HttpStatusCode.OK, (await owner.SendJsonAsync(HttpMethod.Put, $"orgs/{host.OrgId}/members/{memberId}/budget",
            JsonDocument.Parse("""{"spend":{"type":"fixed","limit":"0"}}""").RootElement)).Status);
        using (var capped = await ChatAsync(host.Server, host.Key))
        {
            Assert.Equal(HttpStatusCode.Forbidden, capped.StatusCode);
            Assert.Contains("member_budget_exceeded", await capped.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }

        // Without the org's key the server's key would serve again, and the credits decide.
        Assert.Equal(HttpStatusCode.OK, (await owner.SendJsonAsync(HttpMethod.Put, $"orgs/{host.OrgId}/members/{memberId}/budget",
            JsonDocument.Parse("""{"spend":{"type":"unlimited"}}""").RootElement)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.ApiDeleteAsync($"orgs/{host.OrgId}/provider-keys/{keyId}")).Status);
        using var again = await ChatAsync(host.Server, host.Key);
        Assert.Equal(HttpStatusCode.PaymentRequired, again.StatusCode);
    }

    [Fact]
    public async Task Rotation_AndDeletion_TakeEffectOnEveryNodeWithinASecond()
    {
        await using var host = await GatewayTestHost.StartAsync(DbDialect.Postgres, AllowFake);
        await using var second = await host.StartSecondNodeAsync();
        using var owner = host.Server.CreateClient(host.Token);
        var keyId = await AddKeyAsync(host, "openai", OrgSecret, host.Fake.OpenAIBaseUrl("openai"));
        using (var first = await ChatAsync(second, host.Key))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode); // the second node has the org's keys cached now
        }

        Assert.Equal(HttpStatusCode.OK, (await owner.ApiPatchAsync($"orgs/{host.OrgId}/provider-keys/{keyId}", new { apiKey = "sk-org-rotated-key-000002" })).Status);
        await Task.Delay(OrgProviderKeys.CacheTtl, TestContext.Current.CancellationToken); // the contract: within one second
        using (var rotated = await ChatAsync(second, host.Key))
        {
            Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await owner.ApiDeleteAsync($"orgs/{host.OrgId}/provider-keys/{keyId}")).Status);
        await Task.Delay(OrgProviderKeys.CacheTtl, TestContext.Current.CancellationToken);
        using (var deleted = await ChatAsync(second, host.Key))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        Assert.Equal(
            ["Bearer " + OrgSecret, "Bearer sk-org-rotated-key-000002", "Bearer sk-server-openai-secret"],
            host.Fake.Requests.Select(r => r.Authorization));
    }

    [Fact]
    public async Task BaseUrlOnTheServersNetwork_IsRefusedWhenConnecting_EvenIfStored()
    {
        // A row that got past the check on save (DNS rebinding: the name resolved elsewhere then):
        // the connection itself is refused, and nothing reaches the address.
        await using var host = await GatewayTestHost.StartAsync();
        var box = host.Server.App.Services.GetRequiredService<SecretBox>();
        var id = "pk_rebound";
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync())
        {
            await connection.ExecuteAsync("""
                INSERT INTO org_provider_keys (id, org_id, provider, name, base_url, hint, sealed, created_at, updated_at)
                VALUES (@id, @orgId, 'openai', 'rebound', @baseUrl, '…', @sealed, @now, @now)
                """, new
            {
                id,
                orgId = host.OrgId,
                baseUrl = host.Fake.OpenAIBaseUrl("openai").Replace("127.0.0.1", "localhost", StringComparison.Ordinal),
                @sealed = box.Seal("""{"apiKey":"sk-org-rebound-0000000001"}""", id),
                now,
            });
        }

        using var response = await ChatAsync(host.Server, host.Key);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("upstream_unreachable", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Empty(host.Fake.Requests);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal("failed", row.Status);
        Assert.Equal(0, row.CostPico);
    }
}
