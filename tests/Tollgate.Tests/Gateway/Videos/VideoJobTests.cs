using System.Net;
using System.Text.Json;
using Tollgate.Budgets;
using Tollgate.Storage;
using Tollgate.Tests.Infrastructure;
using static Tollgate.Tests.Budgets.BudgetTestCalls;
using static Tollgate.Tests.Gateway.Modalities.ModalityKit;
using static Tollgate.Tests.Gateway.Videos.VideoKit;

namespace Tollgate.Tests.Gateway.Videos;

/// <summary>
/// Video jobs end to end: reserved when created, shown as reserved while they run, charged once when
/// they end (seconds × the size's price), released when they fail; reads never billed; per org.
/// </summary>
public sealed class VideoJobTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Create_ReservedThenUsed_ChargedOnceAtTheCatalogPrice_ContentNeverBilled(DbDialect dialect)
    {
        await using var host = await StartAsync(dialect);
        using var client = host.GatewayClient();

        var created = await CreateOkAsync(client);
        var id = created.GetProperty("id").GetString()!;

        // The client sees the provider's video object under the gateway's id; nothing is charged yet,
        // and 8 s × $0.10 (1280x720) is held.
        Assert.StartsWith("video_", id, StringComparison.Ordinal);
        Assert.Equal("video", created.GetProperty("object").GetString());
        Assert.Equal("queued", created.GetProperty("status").GetString());
        Assert.Equal("mod-upstream-video", created.GetProperty("model").GetString());
        Assert.Empty(await host.LedgerAsync());
        Assert.Equal(("0", "0.8"), await MemberSpendAsync(host));

        var completed = await WaitForStatusAsync(client, id, "completed");
        var again = await client.GetAsync($"v1/videos/{id}", TestContext.Current.CancellationToken).WaitAsync(Wait);
        var content = await client.GetAsync($"v1/videos/{id}/content", TestContext.Current.CancellationToken).WaitAsync(Wait);
        var thumbnail = await client.GetAsync($"v1/videos/{id}/content?variant=thumbnail", TestContext.Current.CancellationToken).WaitAsync(Wait);

        Assert.Equal(id, completed.GetProperty("id").GetString());
        Assert.Equal("8", completed.GetProperty("seconds").GetString());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, content.StatusCode);
        Assert.Equal("video/mp4", content.Content.Headers.ContentType?.MediaType);
        Assert.Equal("ftyp"u8.ToArray(), (await content.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken))[4..8]);
        Assert.Equal("image/png", thumbnail.Content.Headers.ContentType?.MediaType);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(Pico(8 * 0.1m), row.CostPico);
        Assert.Equal("videos", row.Endpoint);
        Assert.Equal("ok", row.Status);
        Assert.Equal("mod-upstream-video", row.ProviderModel);
        Assert.False(row.UsageEstimated);
        Assert.Equal(("0.8", "0"), await MemberSpendAsync(host));
    }

    [Fact]
    public async Task Create_TheSecondsTheProviderReports_AreCharged()
    {
        await using var host = await StartAsync();
        using var client = host.GatewayClient();

        var id = (await CreateOkAsync(client, Create("8", "1792x1024", "fake:video_ms=100 fake:video_seconds=4"))).GetProperty("id").GetString()!;
        await WaitForStatusAsync(client, id, "completed");

        Assert.Equal(Pico(4 * 0.5m), Assert.Single(await host.LedgerAsync()).CostPico);
    }

    [Fact]
    public async Task MultipartCreate_WithAnInputReference_IsForwardedAndBilled()
    {
        await using var host = await StartAsync();
        using var client = host.GatewayClient();
        var form = Form(new Dictionary<string, string> { ["model"] = "mod-video", ["prompt"] = "animate it fake:video_ms=100", ["seconds"] = "4", ["size"] = "720x1280" },
            "input_reference", "ref.png", Png(), "image/png");

        var response = await client.PostAsync("v1/videos", form, TestContext.Current.CancellationToken).WaitAsync(Wait);
        var id = (await JsonAsync(response)).GetProperty("id").GetString()!;
        await WaitForStatusAsync(client, id, "completed");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upstream = Assert.Single(Upstream(host, "/v1/videos"), r => r.Body.Length > 0);
        Assert.Contains("model=mod-upstream-video", upstream.Body, StringComparison.Ordinal);
        Assert.Contains("input_reference=@ref.png;image/png", upstream.Body, StringComparison.Ordinal);
        Assert.Equal(Pico(4 * 0.1m), Assert.Single(await host.LedgerAsync()).CostPico);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task FailedJob_ReleasesItsHold_NothingCharged_TheCapHasRoomAgain(DbDialect dialect)
    {
        await using var host = await StartAsync(dialect);
        await PutOkAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/budget", """{"spend":{"type":"fixed","limit":"0.8"}}""");
        using var client = host.GatewayClient();

        var id = (await CreateOkAsync(client, Create(knobs: "fake:video_ms=400 fake:video_outcome=failed"))).GetProperty("id").GetString()!;
        var whileHeld = await client.PostAsync("v1/videos", Create(), TestContext.Current.CancellationToken).WaitAsync(Wait);
        var failed = await WaitForStatusAsync(client, id, "failed");
        var afterFailure = await client.PostAsync("v1/videos", Create(), TestContext.Current.CancellationToken).WaitAsync(Wait);

        // The held job fills the $0.80 cap; once it failed, its hold is gone and the same request fits.
        await AssertDeniedAsync(whileHeld, "key_budget_exceeded", "API Key Test Key has reached its budget limit ($0.00 / $0.80). Other Keys are not affected.");
        Assert.Equal(HttpStatusCode.OK, afterFailure.StatusCode);
        Assert.Equal("video_generation_failed", failed.GetProperty("error").GetProperty("code").GetString());
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(0, row.CostPico);
        Assert.Equal("upstream_error", row.Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task ConcurrentCreatesAtAKeyCap_NeverOvershoot(DbDialect dialect)
    {
        await using var host = await StartAsync(dialect, pollSeconds: "0.05");
        host.Fake.Options.LatencyMs = 100;
        await PutOkAsync(host, $"orgs/{host.OrgId}/keys/{host.KeyId}/budget", """{"spend":{"type":"fixed","limit":"2"}}""");
        using var client = host.GatewayClient();

        // Each job holds 4 s × $0.10 = $0.40: five fit in $2.00, whatever the order they race in.
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            client.PostAsync("v1/videos", Create("4", knobs: "fake:video_ms=200"), TestContext.Current.CancellationToken))).WaitAsync(Wait);
        await EventuallyAsync(async () => (await host.LedgerAsync()).Count == 5, "the poller did not settle the five jobs");

        Assert.Equal(5, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(3, responses.Count(r => r.StatusCode == HttpStatusCode.Forbidden));
        Assert.Equal(5, UpstreamCreates(host));
        Assert.Equal(Pico(2m), await LedgerSumAsync(host));
        Assert.Equal(("2", "0"), await MemberSpendAsync(host));
    }

    [Fact]
    public async Task DeniedAtTheCap_403WithTheBudgetBody_BeforeTheProvider()
    {
        await using var host = await StartAsync();
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget", """{"spend":{"type":"fixed","limit":"0.5"}}""");
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/videos", Create("8"), TestContext.Current.CancellationToken).WaitAsync(Wait);

        await AssertDeniedAsync(response, "member_budget_exceeded", BudgetMessages.MemberFixed);
        Assert.Equal(0, UpstreamCreates(host));
        Assert.Empty(await host.LedgerAsync());
    }

    [Theory]
    [InlineData("8", "999x999", "size", "sizes: 1280x720, 1792x1024, 720x1280")]
    [InlineData("5", "1280x720", "seconds", "'seconds' must be one of 4, 8, 12, 16, 20")]
    public async Task UnknownSizeOrSeconds_400WithAMessage_NeverBilled(string seconds, string size, string param, string message)
    {
        await using var host = await StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/videos", Create(seconds, size), TestContext.Current.CancellationToken).WaitAsync(Wait);
        var error = (await JsonAsync(response)).GetProperty("error");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, UpstreamCreates(host));
        Assert.Empty(await host.LedgerAsync());
    }

    [Fact]
    public async Task AnotherOrgsId_Is404_AndItsListIsEmpty()
    {
        await using var host = await StartAsync();
        using var client = host.GatewayClient();
        var id = (await CreateOkAsync(client)).GetProperty("id").GetString()!;
        var (_, _, _, _, otherKey) = await AccountSetup.CreateOrgWithKeyAsync(host.Server).WaitAsync(Wait);
        using var other = host.Server.CreateClient(otherKey);
        var upstreamBefore = host.Fake.Requests.Count;

        var get = await other.GetAsync($"v1/videos/{id}", TestContext.Current.CancellationToken).WaitAsync(Wait);
        var content = await other.GetAsync($"v1/videos/{id}/content", TestContext.Current.CancellationToken).WaitAsync(Wait);
        var delete = await other.DeleteAsync($"v1/videos/{id}", TestContext.Current.CancellationToken).WaitAsync(Wait);
        var otherList = await JsonAsync(await other.GetAsync("v1/videos", TestContext.Current.CancellationToken).WaitAsync(Wait));
        var ownList = await JsonAsync(await client.GetAsync("v1/videos", TestContext.Current.CancellationToken).WaitAsync(Wait));

        foreach (var response in new[] { get, content, delete })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            var error = (await JsonAsync(response)).GetProperty("error");
            Assert.Equal("video_not_found", error.GetProperty("code").GetString());
            Assert.Equal($"No video with id '{id}' was found.", error.GetProperty("message").GetString());
        }

        Assert.Empty(otherList.GetProperty("data").EnumerateArray());
        Assert.Equal("list", ownList.GetProperty("object").GetString());
        Assert.Equal(id, Assert.Single(ownList.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
        Assert.False(ownList.GetProperty("has_more").GetBoolean());
        // The other org's reads reached no provider and charged nothing; the job is still held for its owner.
        Assert.Equal(upstreamBefore, host.Fake.Requests.Count);
        Assert.Empty(await host.LedgerAsync());
    }

    [Fact]
    public async Task DeleteAnOpenJob_CancelsIt_ReleasingItsHold_NothingCharged()
    {
        await using var host = await StartAsync();
        using var client = host.GatewayClient();
        var id = (await CreateOkAsync(client, Create(knobs: "fake:video_ms=60000"))).GetProperty("id").GetString()!;

        var deleted = await JsonAsync(await client.DeleteAsync($"v1/videos/{id}", TestContext.Current.CancellationToken).WaitAsync(Wait));
        var after = await client.GetAsync($"v1/videos/{id}", TestContext.Current.CancellationToken).WaitAsync(Wait);

        Assert.Equal(id, deleted.GetProperty("id").GetString());
        Assert.Equal("video.deleted", deleted.GetProperty("object").GetString());
        Assert.True(deleted.GetProperty("deleted").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(0, row.CostPico);
        Assert.Equal("cancelled", row.Status);
        Assert.Equal(("0", "0"), await MemberSpendAsync(host));
    }

    [Fact]
    public async Task ClientGetAndPollerRacingOnManyJobs_EachJobIsChargedOnce()
    {
        await using var host = await StartAsync(pollSeconds: "0.02");
        using var client = host.GatewayClient();
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add((await CreateOkAsync(client, Create("4", knobs: "fake:video_ms=150"))).GetProperty("id").GetString()!);
        }

        // Clients read every job while the poller settles them too.
        await Task.WhenAll(ids.SelectMany(id => Enumerable.Range(0, 3).Select(_ => WaitForStatusAsync(client, id, "completed")))).WaitAsync(Wait);

        var rows = await host.LedgerAsync();
        Assert.Equal(6, rows.Count);
        Assert.Equal(6, rows.Select(r => r.RequestId).Distinct().Count());
        Assert.Equal(Pico(6 * 0.4m), rows.Sum(r => r.CostPico));
        Assert.Equal(("2.4", "0"), await MemberSpendAsync(host));
    }
}
