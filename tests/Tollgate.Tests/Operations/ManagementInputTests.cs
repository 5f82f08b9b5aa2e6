using System.Net;
using System.Net.Http.Json;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Operations;

/// <summary>Input an attacker would send to the management API: every bad body is a 4xx that says what is wrong.</summary>
public sealed class ManagementInputTests
{
    private static readonly byte[] InvalidUtf8 = [(byte)'{', (byte)'"', (byte)'n', (byte)'a', (byte)'m', (byte)'e', (byte)'"', (byte)':', (byte)'"', 0xC3, 0x28, 0xFF, (byte)'"', (byte)'}'];

    private static async Task<string> MasterKeyAsync(GatewayTestHost host)
    {
        using var client = host.Server.CreateClient(host.Token);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var created = await client.PostAsJsonAsync($"orgs/{host.OrgId}/master-keys", new { name = "platform" }, cts.Token);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(cts.Token)).GetProperty("key").GetString()!;
    }

    [Fact]
    public async Task MasterKeysApi_MalformedEmptyArrayOrInvalidUtf8Bodies_Are400WithAMessage()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var master = host.Server.CreateClient(await MasterKeyAsync(host));
        using var owner = host.Server.CreateClient(host.Token);
        var project = (await RawCalls.SendAsync(master, HttpMethod.Post, "v1/master/projects", """{"name":"end users"}""")).Json.GetProperty("id").GetString();
        var key = (await RawCalls.SendAsync(master, HttpMethod.Post, "v1/master/keys", $$"""{"projectId":"{{project}}","name":"u1"}""")).Json.GetProperty("id").GetString();
        var routes = new (HttpClient Client, HttpMethod Method, string Path, bool EmptyAllowed)[]
        {
            (master, HttpMethod.Post, "v1/master/keys", false),
            (master, HttpMethod.Post, "v1/master/projects", false),
            (master, HttpMethod.Patch, $"v1/master/keys/{key}", false),
            (owner, HttpMethod.Post, $"orgs/{host.OrgId}/master-keys", true),
        };
        var bodies = new (string Why, byte[] Bytes)[]
        {
            ("malformed", "{\"name\": "u8.ToArray()),
            ("array", "[{\"name\":\"x\"}]"u8.ToArray()),
            ("string", "\"name\""u8.ToArray()),
            ("invalid UTF-8", InvalidUtf8),
            ("empty", []),
        };

        foreach (var (client, method, path, emptyAllowed) in routes)
        {
            foreach (var (why, bytes) in bodies.Where(b => !(emptyAllowed && b.Bytes.Length == 0)))
            {
                var answer = await RawCalls.SendAsync(client, method, path, bytes);

                Assert.True(answer.Status == HttpStatusCode.BadRequest, $"{method} {path} with a {why} body: {(int)answer.Status} {answer.Text}");
                Assert.Equal("application/problem+json", answer.ContentType);
                Assert.False(string.IsNullOrWhiteSpace(answer.Detail), $"{method} {path} with a {why} body has no detail: {answer.Text}");
            }
        }

        var plain = await RawCalls.SendAsync(master, HttpMethod.Post, "v1/master/projects", """{"name":"p"}""", "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, plain.Status);
        Assert.Contains("application/json", plain.Detail, StringComparison.Ordinal);
        var projects = (await RawCalls.SendAsync(master, HttpMethod.Get, "v1/master/projects", (byte[]?)null)).Json.GetProperty("data");
        Assert.DoesNotContain(projects.EnumerateArray(), p => p.GetProperty("name").GetString() == "p");
    }

    [Fact]
    public async Task BillingAndAlertsBodies_MalformedEmptyArrayInvalidUtf8OrNotJson_Are400Or415WithADetail()
    {
        await using var server = await TollgateServer.StartAsync();
        var (token, orgId, _, _, _) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var owner = server.CreateClient(token);
        var purchase = await RawCalls.SendAsync(owner, HttpMethod.Post, $"orgs/{orgId}/credits/purchase", """{"amount":"10"}""");
        Assert.Equal(HttpStatusCode.Created, purchase.Status);
        var purchaseId = purchase.Json.GetProperty("id").GetString();
        var routes = new (HttpMethod Method, string Path)[]
        {
            (HttpMethod.Post, $"orgs/{orgId}/credits/purchase"),
            (HttpMethod.Post, $"orgs/{orgId}/transactions/{purchaseId}/refund"),
            (HttpMethod.Put, $"orgs/{orgId}/alerts"),
        };
        var bodies = new (string Why, byte[] Bytes)[]
        {
            ("malformed", "{\"amount\": "u8.ToArray()),
            ("array", "[{\"amount\":\"1\"}]"u8.ToArray()),
            ("number", "5"u8.ToArray()),
            ("invalid UTF-8", InvalidUtf8),
            ("invalid UTF-8 in a name", [(byte)'{', (byte)'"', 0xC3, (byte)'"', (byte)':', (byte)'1', (byte)'}']),
            ("empty", []),
        };

        foreach (var (method, path) in routes)
        {
            foreach (var (why, bytes) in bodies)
            {
                var answer = await RawCalls.SendAsync(owner, method, path, bytes);

                Assert.True(answer.Status == HttpStatusCode.BadRequest, $"{method} {path} with a {why} body: {(int)answer.Status} {answer.Text}");
                Assert.Equal("application/problem+json", answer.ContentType);
                Assert.False(string.IsNullOrWhiteSpace(answer.Detail), $"{method} {path} with a {why} body has no detail: {answer.Text}");
                Assert.Equal(["body"], answer.ErrorFields);
            }

            var plain = await RawCalls.SendAsync(owner, method, path, """{"amount":"1","reason":"x","thresholds":[50]}""", "text/plain");
            Assert.True(plain.Status == HttpStatusCode.UnsupportedMediaType, $"{method} {path} as text/plain: {(int)plain.Status} {plain.Text}");
            Assert.Contains("application/json", plain.Detail, StringComparison.Ordinal);
        }

        // Nothing was bought, refunded or changed by any of them.
        var transactions = (await RawCalls.SendAsync(owner, HttpMethod.Get, $"orgs/{orgId}/transactions", (byte[]?)null)).Json.GetProperty("data");
        Assert.Equal([purchaseId], transactions.EnumerateArray().Select(t => t.GetProperty("id").GetString()));
        var alerts = (await RawCalls.SendAsync(owner, HttpMethod.Get, $"orgs/{orgId}/alerts", (byte[]?)null)).Json;
        Assert.NotEqual([50], alerts.GetProperty("thresholds").EnumerateArray().Select(t => t.GetInt32()));
    }

    [Theory]
    [InlineData(0xC3)]
    [InlineData(0xFF)]
    [InlineData(0x80)]
    [InlineData(0xEF)]
    public async Task BudgetDocuments_InvalidUtf8InAPropertyName_Are400(int badByte)
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var owner = host.Server.CreateClient(host.Token);
        var ownMember = (await RawCalls.SendAsync(owner, HttpMethod.Get, $"orgs/{host.OrgId}/members/me", (byte[]?)null)).Json.GetProperty("memberId").GetString();
        foreach (var path in new[] { $"orgs/{host.OrgId}/default-developer-limits", $"orgs/{host.OrgId}/members/{ownMember}/budget", $"orgs/{host.OrgId}/keys/{host.KeyId}/budget" })
        {
            foreach (var template in new[] { "[{\"Xpend\":true}]", "{\"Xpend\":true}", "{\"spend\":{\"Xype\":\"monthly\"}}" })
            {
                var bytes = System.Text.Encoding.ASCII.GetBytes(template);
                bytes[Array.IndexOf(bytes, (byte)'X')] = (byte)badByte;
                var answer = await RawCalls.SendAsync(owner, HttpMethod.Put, path, bytes);

                Assert.True(answer.Status == HttpStatusCode.BadRequest, $"PUT {path} {template} with 0x{badByte:X2}: {(int)answer.Status} {answer.Text}");
            }
        }
    }

    [Fact]
    public async Task BoundJsonRoute_BadJsonOrWrongType_ProblemWithDetailAndErrorsPerField()
    {
        await using var server = await TollgateServer.StartAsync();
        var (token, _) = await AccountSetup.SignUpAndLogInAsync(server);
        using var client = server.CreateClient(token);

        var truncated = await RawCalls.SendAsync(client, HttpMethod.Post, "orgs", """{"name": "Acme" """);
        var wrongType = await RawCalls.SendAsync(client, HttpMethod.Post, "orgs", """{"name": 5}""");
        var plain = await RawCalls.SendAsync(client, HttpMethod.Post, "orgs", """{"name":"Acme"}""", "text/plain");
        var empty = await RawCalls.SendAsync(client, HttpMethod.Post, "orgs", []);

        Assert.Equal((HttpStatusCode.BadRequest, "application/problem+json"), (truncated.Status, truncated.ContentType));
        Assert.Contains("not valid JSON", truncated.Detail, StringComparison.Ordinal);
        Assert.NotEmpty(truncated.ErrorFields);
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.Status);
        Assert.Contains("wrong type", wrongType.Detail, StringComparison.Ordinal);
        Assert.Equal(["name"], wrongType.ErrorFields);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, plain.Status);
        Assert.Contains("application/json", plain.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, empty.Status);
        Assert.Contains("empty", empty.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BudgetsSearch_LikeWildcards_MatchLiterally()
    {
        await using var server = await TollgateServer.StartAsync();
        var (token, orgId, _, _, _) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var client = server.CreateClient(token);

        async Task<int> CountAsync(string search) =>
            (await RawCalls.SendAsync(client, HttpMethod.Get, $"orgs/{orgId}/budgets?search={Uri.EscapeDataString(search)}", (byte[]?)null)).Json.GetProperty("data").GetArrayLength();

        Assert.Equal(0, await CountAsync("%"));
        Assert.Equal(0, await CountAsync("_"));
        Assert.Equal(0, await CountAsync("\\"));
        Assert.Equal(1, await CountAsync("example.test"));
    }

    [Fact]
    public async Task EveryList_MalformedCursor_Is400NamingTheCursor()
    {
        await using var server = await TollgateServer.StartAsync();
        var (token, orgId, _, _, _) = await AccountSetup.CreateOrgWithKeyAsync(server);
        using var client = server.CreateClient(token);
        string[] lists = ["orgs", $"orgs/{orgId}/members", $"orgs/{orgId}/invites", $"orgs/{orgId}/keys", $"orgs/{orgId}/projects",
            $"orgs/{orgId}/budgets", $"orgs/{orgId}/transactions", $"orgs/{orgId}/audit-logs"];

        foreach (var list in lists)
        {
            foreach (var cursor in new[] { "garbage", "%27%20OR%201%3D1", "key_01", "zzzz", "123&cursor=456" })
            {
                var answer = await RawCalls.SendAsync(client, HttpMethod.Get, $"{list}?cursor={cursor}", (byte[]?)null);

                Assert.True(answer.Status == HttpStatusCode.BadRequest, $"{list}?cursor={cursor}: {(int)answer.Status} {answer.Text}");
                Assert.Equal(["cursor"], answer.ErrorFields);
            }

            var first = await RawCalls.SendAsync(client, HttpMethod.Get, $"{list}?limit=1", (byte[]?)null);
            Assert.Equal(HttpStatusCode.OK, first.Status);
        }
    }

    [Fact]
    public async Task UsageEvents_OccurredAtAndIdempotencyKey_AreBounded()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        Task<RawAnswer> ReportAsync(string occurredAt, string idempotencyKey) => RawCalls.SendAsync(client, HttpMethod.Post, "v1/usage/events",
            System.Text.Json.JsonSerializer.Serialize(new { service = "gpu", cost = "0.01", idempotencyKey, occurredAt }));

        var yearOne = await ReportAsync("0001-01-01T00:00:00Z", "a");
        var farFuture = await ReportAsync("9999-12-31T00:00:00Z", "b");
        var hugeKey = await ReportAsync(DateTimeOffset.UtcNow.ToString("O"), new string('k', 10_000));
        var fine = await ReportAsync(DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O"), "c");

        Assert.Equal(HttpStatusCode.BadRequest, yearOne.Status);
        Assert.Contains("occurredAt", yearOne.Text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, farFuture.Status);
        Assert.Equal(HttpStatusCode.BadRequest, hugeKey.Status);
        Assert.Contains("idempotencyKey", hugeKey.Text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, fine.Status);
        Assert.Single(await host.LedgerAsync());
    }
}
