using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Tollgate.Analytics;
using Tollgate.Analytics.Alerts;
using Tollgate.Budgets;
using Tollgate.Storage;
using Tollgate.Tests.Budgets;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Analytics;

/// <summary>A local incoming-webhook receiver on 127.0.0.1: records every POST body per path; can fail the first few.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _failuresLeft = new(StringComparer.Ordinal);

    private WebhookReceiver(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public ConcurrentQueue<(string Path, JsonElement Body)> Received { get; } = new();

    public int Attempts;

    public void FailFirst(string path, int times) => _failuresLeft[path] = times;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        WebhookReceiver? receiver = null;
        app.MapPost("/{**path}", async (HttpRequest request) =>
        {
            Interlocked.Increment(ref receiver!.Attempts);
            var path = request.Path.Value!;
            if (receiver._failuresLeft.TryGetValue(path, out var left) && left > 0)
            {
                receiver._failuresLeft[path] = left - 1;
                return Results.StatusCode(StatusCodes.Status500InternalServerError);
            }

            using var body = await JsonDocument.ParseAsync(request.Body);
            receiver.Received.Enqueue((path, body.RootElement.Clone()));
            return path.StartsWith("/discord", StringComparison.Ordinal) ? Results.NoContent() : Results.Text("ok");
        });
        await app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver = new WebhookReceiver(app, address.TrimEnd('/'));
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await _app.DisposeAsync();
    }
}

/// <summary>Budget alerts to Slack and Discord webhooks: settings, thresholds once per window across nodes, retries.</summary>
public sealed class AlertsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly Dictionary<string, string?> Settings = new()
    {
        [AlertOptions.AllowLoopbackHttpKey] = "true",
        ["Tollgate:Alerts:CheckIntervalSeconds"] = "3600", // the test runs the checks itself
        ["Tollgate:Alerts:RetryBaseSeconds"] = "0.05",
    };

    private static async Task<JsonElement> PutAlertsAsync(HttpClient client, string orgId, object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await client.PutAsJsonAsync($"orgs/{orgId}/alerts", body).WaitAsync(Timeout);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{(int)response.StatusCode} {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    private static async Task UsageEventAsync(GatewayTestHost host, string cost, string key)
    {
        using var client = host.GatewayClient();
        var report = new { service = "gpu", cost, idempotencyKey = key, occurredAt = DateTimeOffset.UtcNow.ToString("O"), description = "hour" };
        using var response = await client.PostAsJsonAsync("v1/usage/events", report).WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Waits until every queued delivery is sent (or failed for good).</summary>
    private static async Task DrainAsync(TollgateServer server)
    {
        var deadline = DateTime.UtcNow + Timeout;
        await using var connection = await server.App.Services.GetRequiredService<Database>().OpenAsync();
        while (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM alert_deliveries WHERE status = 'pending'") > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "alert deliveries still pending");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Settings_AreValidatedMaskedAndAudited()
    {
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?>());
        using var owner = host.Server.CreateClient(host.Token);
        const string Slack = "https://hooks.slack.com/services/T000/B000/secretpart1234";

        var initial = await owner.GetFromJsonAsync<JsonElement>($"orgs/{host.OrgId}/alerts").WaitAsync(Timeout);
        var saved = await PutAlertsAsync(owner, host.OrgId, new { slackWebhookUrl = Slack, thresholds = new[] { 100, 50 } });
        var again = await PutAlertsAsync(owner, host.OrgId, new { slackWebhookUrl = saved.GetProperty("slackWebhookUrl").GetString() });
        var plainHttp = await PutAlertsAsync(owner, host.OrgId, new { discordWebhookUrl = "http://example.com/api/webhooks/1/x" }, HttpStatusCode.BadRequest);
        var loopbackWithoutFlag = await PutAlertsAsync(owner, host.OrgId, new { discordWebhookUrl = "http://127.0.0.1:9/hook" }, HttpStatusCode.BadRequest);
        var badThresholds = await PutAlertsAsync(owner, host.OrgId, new { thresholds = new[] { 0, 80 } }, HttpStatusCode.BadRequest);

        Assert.Equal(JsonValueKind.Null, initial.GetProperty("slackWebhookUrl").ValueKind);
        Assert.Equal([80, 100], initial.GetProperty("thresholds").EnumerateArray().Select(t => t.GetInt32()));
        Assert.Equal("https://hooks.slack.com/…1234", saved.GetProperty("slackWebhookUrl").GetString());
        Assert.Equal([50, 100], saved.GetProperty("thresholds").EnumerateArray().Select(t => t.GetInt32()));
        Assert.Equal(saved.GetProperty("slackWebhookUrl").GetString(), again.GetProperty("slackWebhookUrl").GetString());
        Assert.Contains("discordWebhookUrl", plainHttp.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("https", loopbackWithoutFlag.GetRawText(), StringComparison.Ordinal);
        Assert.Contains("thresholds", badThresholds.GetRawText(), StringComparison.Ordinal);
        var stored = await host.Server.App.Services.GetRequiredService<AlertSettingsStore>().GetAsync(host.OrgId, TestContext.Current.CancellationToken);
        Assert.Equal(Slack, stored.SlackWebhookUrl); // kept in full, shown masked

        var audit = await owner.GetStringAsync($"orgs/{host.OrgId}/audit-logs?action=alerts.update").WaitAsync(Timeout);
        Assert.Contains("alerts.update", audit, StringComparison.Ordinal);
        Assert.Contains("hooks.slack.com/…1234", audit, StringComparison.Ordinal);
        Assert.DoesNotContain("secretpart", audit, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task MemberCap_CrossingThresholds_AlertsOncePerThresholdAcrossNodes(DbDialect dialect)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await GatewayTestHost.StartAsync(dialect, Settings);
        var memberId = await BudgetTestCalls.MemberIdAsync(host);
        using var owner = host.Server.CreateClient(host.Token);
        await BudgetTestCalls.PutOkAsync(host, $"orgs/{host.OrgId}/members/{memberId}/budget", """{"spend":{"type":"monthly","limit":"10"}}""");
        await PutAlertsAsync(owner, host.OrgId, new { slackWebhookUrl = receiver.BaseUrl + "/slack/T1", discordWebhookUrl = receiver.BaseUrl + "/discord/1/abc" });
        receiver.FailFirst("/slack/T1", 2); // Slack is down for two attempts: retried with backoff
        var monitor = host.Server.App.Services.GetRequiredService<AlertMonitor>();

        await UsageEventAsync(host, "5", "e1"); // 50%: below every threshold
        await monitor.CheckAsync(TestContext.Current.CancellationToken);
        await UsageEventAsync(host, "3.5", "e2"); // 85%
        await monitor.CheckAsync(TestContext.Current.CancellationToken);
        await monitor.CheckAsync(TestContext.Current.CancellationToken);
        await DrainAsync(host.Server);

        var received = receiver.Received.ToList();
        Assert.Equal(2, received.Count);
        var slack = Assert.Single(received, r => r.Path == "/slack/T1").Body.GetProperty("text").GetString()!;
        var discord = Assert.Single(received, r => r.Path == "/discord/1/abc").Body.GetProperty("content").GetString()!;
        Assert.Contains("80%", slack, StringComparison.Ordinal);
        Assert.Contains("monthly budget", slack, StringComparison.Ordinal);
        Assert.Contains("$8.50 spent of $10.00", slack, StringComparison.Ordinal);
        Assert.Contains("Resets at " + ApiNextMonth(), slack, StringComparison.Ordinal);
        Assert.Contains("Test User", discord, StringComparison.Ordinal);
        Assert.Equal(4, receiver.Attempts); // two failed Slack attempts, then Slack and Discord

        // :: Past 100% on this node, and checks on a second node of the same database: one more alert in all.
        await UsageEventAsync(host, "2", "e3"); // 105%
        await using var second = await host.StartSecondNodeAsync();
        await Task.WhenAll(
            monitor.CheckAsync(TestContext.Current.CancellationToken),
            second.App.Services.GetRequiredService<AlertMonitor>().CheckAsync(TestContext.Current.CancellationToken));
        await second.App.Services.GetRequiredService<AlertMonitor>().CheckAsync(TestContext.Current.CancellationToken);
        await DrainAsync(host.Server);
        await DrainAsync(second);

        received = [.. receiver.Received];
        Assert.Equal(4, received.Count);
        Assert.Equal(2, received.Count(r => (r.Body.TryGetProperty("text", out var t) ? t : r.Body.GetProperty("content")).GetString()!.Contains("100%", StringComparison.Ordinal)));
        await using var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync();
        Assert.Equal([80, 100], (await connection.QueryAsync<long>("SELECT threshold FROM alert_events ORDER BY threshold")).Select(t => (int)t));
    }

    [Fact]
    public void Message_ForAKeyCap_NamesTheKeyTheCapAndTheReset()
    {
        var member = new AnalyticsDirectory.MemberInfo("mem_1", "Ada Lovelace", "ada@example.test", "developer", false);
        var status = new CapStatus("key", "period", Money.ToPico(2m), Money.ToPico(1.7m), 0, new DateTimeOffset(2026, 7, 4, 10, 15, 0, TimeSpan.Zero));
        var reading = new CapReading("key", "key_1", "ci-bot", "day", 0, status);

        var message = AlertMonitor.Message(member, reading, 80);

        Assert.Equal(
            "Budget alert: API key \"ci-bot\" of Ada Lovelace (ada@example.test) has reached 80% of the key's rolling day budget: $1.70 spent of $2.00 (85%). Resets at 2026-07-04T10:15:00.000Z.",
            message);
    }

    private static string ApiNextMonth()
    {
        var now = DateTime.UtcNow;
        var next = new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1);
        return next.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
    }
}
