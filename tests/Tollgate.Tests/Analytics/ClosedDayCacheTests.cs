using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Tollgate.Analytics;
using Tollgate.Budgets;
using Tollgate.Storage;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Analytics;

/// <summary>
/// Closed days are kept in memory between analytics reads, and a later write into one of them (a
/// usage event with an old occurredAt, a ledger row that ended days ago, a rebuild) is in the very
/// next read: on one node, on another node of the same PostgreSQL database, and on both dialects.
/// </summary>
public sealed class ClosedDayCacheTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private const string Zone = "Asia/Kolkata";

    private static long Pico(JsonElement e, string name) => Money.ToPico(decimal.Parse(e.GetProperty(name).GetString()!, CultureInfo.InvariantCulture));

    private static DateOnly LocalDate(long utcMs) => DateOnly.FromDateTime(
        TimeZoneInfo.ConvertTimeFromUtc(DateTimeOffset.FromUnixTimeMilliseconds(utcMs).UtcDateTime, TimeZoneInfo.FindSystemTimeZoneById(Zone)));

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Activity_UsageEventIntoAClosedDayAfterARead_InTheNextRead(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        var tenDaysAgo = DateTimeOffset.UtcNow.AddDays(-10);
        await PostEventAsync(host, "first", "1.25", tenDaysAgo);

        // Twice: the second read is served from the days the first one kept.
        var before = await ActivityAsync(host);
        var again = await ActivityAsync(host);
        await AssertEqualsLedgerAsync(host, before);
        Assert.Equal(before.GetRawText(), again.GetRawText());

        await PostEventAsync(host, "second", "0.5", tenDaysAgo.AddHours(1));
        var after = await ActivityAsync(host);

        await AssertEqualsLedgerAsync(host, after);
        Assert.Equal(Pico(before.GetProperty("totals"), "cost") + Money.ToPico(0.5m), Pico(after.GetProperty("totals"), "cost"));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Activity_LedgerRowEndedDaysAgoAfterARead_InTheNextRead(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        using (var client = host.GatewayClient())
        {
            using var chat = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "today", maxTokens: 5)).WaitAsync(Timeout);
            Assert.True(chat.IsSuccessStatusCode);
        }

        var before = await ActivityAsync(host);
        var template = (await host.LedgerAsync()).Single();

        // A row the gateway's ledger writer settles late (it ended five days ago): its batch moves the epoch.
        var ended = DateTimeOffset.UtcNow.AddDays(-5);
        var ledger = host.Server.App.Services.GetRequiredService<SpendLedger>();
        await ledger.AppendAsync(new LedgerEntry
        {
            Id = "led_late", RequestId = "req_late", Attempt = 1, OrgId = host.OrgId, ProjectId = template.ProjectId, MemberId = template.MemberId,
            KeyId = template.KeyId, Service = "llm", Endpoint = "chat.completions", Model = template.Model, Provider = template.Provider,
            ProviderModel = template.ProviderModel, Status = LedgerStatus.Ok, HttpStatus = 200, InputTokens = 7, OutputTokens = 3,
            CostPico = 4_200_000_000, StartedAt = ended, EndedAt = ended,
        }).WaitAsync(Timeout);
        var after = await ActivityAsync(host);

        await AssertEqualsLedgerAsync(host, after);
        Assert.Equal(Pico(before.GetProperty("totals"), "cost") + 4_200_000_000, Pico(after.GetProperty("totals"), "cost"));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Activity_RebuildAfterARead_TheNextReadIsTheRebuiltFigures(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        await PostEventAsync(host, "kept", "2", DateTimeOffset.UtcNow.AddDays(-8));
        var before = await ActivityAsync(host);

        // A ledger row the rollups never saw (as if written before they existed), then the rebuild.
        var database = host.Server.App.Services.GetRequiredService<Database>();
        await using (var connection = await database.OpenAsync().AsTask().WaitAsync(Timeout))
        {
            await connection.ExecuteAsync(
                "UPDATE ledger SET cost_pico = cost_pico + 3000000000000 WHERE org_id = @orgId", new { orgId = host.OrgId }).WaitAsync(Timeout);
        }

        var stale = await ActivityAsync(host);
        await Rollups.RebuildAsync(database).WaitAsync(Timeout);
        var after = await ActivityAsync(host);

        Assert.Equal(Pico(before.GetProperty("totals"), "cost"), Pico(stale.GetProperty("totals"), "cost")); // the rollups had not changed yet
        await AssertEqualsLedgerAsync(host, after);
        Assert.Equal(Pico(before.GetProperty("totals"), "cost") + Money.ToPico(3m), Pico(after.GetProperty("totals"), "cost"));
    }

    [Fact]
    public async Task Activity_UsageEventOnAnotherNode_InThisNodesNextRead()
    {
        await using var host = await GatewayTestHost.StartAsync(DbDialect.Postgres);
        await using var second = await host.StartSecondNodeAsync().WaitAsync(Timeout);
        var day = DateTimeOffset.UtcNow.AddDays(-12);
        await PostEventAsync(host, "here", "1", day);
        var before = await ActivityAsync(host);

        using (var client = second.CreateClient(host.Key))
        {
            using var response = await client.PostAsJsonAsync("v1/usage/events", Event("there", "0.75", day.AddMinutes(30))).WaitAsync(Timeout);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        var after = await ActivityAsync(host);

        await AssertEqualsLedgerAsync(host, after);
        Assert.Equal(Pico(before.GetProperty("totals"), "cost") + Money.ToPico(0.75m), Pico(after.GetProperty("totals"), "cost"));
    }

    private static object Event(string key, string cost, DateTimeOffset at) => new
    {
        service = "gpu", cost, idempotencyKey = key + "-" + Guid.NewGuid().ToString("N"),
        occurredAt = at.ToString("O", CultureInfo.InvariantCulture), description = "an hour",
    };

    private static async Task PostEventAsync(GatewayTestHost host, string key, string cost, DateTimeOffset at)
    {
        using var client = host.GatewayClient();
        using var response = await client.PostAsJsonAsync("v1/usage/events", Event(key, cost, at)).WaitAsync(Timeout);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    // 20 local days to today: closed days (kept) and the open ones, with the day the cacheable edge falls in split.
    private static async Task<JsonElement> ActivityAsync(GatewayTestHost host)
    {
        var today = LocalDate(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        using var owner = host.Server.CreateClient(host.Token);
        var path = $"analytics/activity?organizationId={host.OrgId}&groupBy=model&timezone={Uri.EscapeDataString(Zone)}&from={today.AddDays(-20):yyyy-MM-dd}&to={today:yyyy-MM-dd}";
        using var response = await owner.GetAsync(path).WaitAsync(Timeout);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    // Every day, and the totals, equal the ledger's rows of that local date.
    private static async Task AssertEqualsLedgerAsync(GatewayTestHost host, JsonElement activity)
    {
        await using var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync().AsTask().WaitAsync(Timeout);
        var ledger = (await RollupAssert.LedgerAsync(connection).WaitAsync(Timeout)).Where(r => r.OrgId == host.OrgId).ToList();
        var days = activity.GetProperty("days").EnumerateArray().ToList();
        foreach (var day in days)
        {
            var date = DateOnly.ParseExact(day.GetProperty("date").GetString()!, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            var rows = ledger.Where(r => LocalDate(r.EndedAt) == date).ToList();
            Assert.Equal(rows.Sum(r => r.CostPico), Pico(day, "cost"));
            Assert.Equal(rows.Count, day.GetProperty("requests").GetInt64());
        }

        Assert.Equal(ledger.Sum(r => r.CostPico), Pico(activity.GetProperty("totals"), "cost"));
        Assert.True(ledger.Sum(r => r.CostPico) > 0);
    }
}
