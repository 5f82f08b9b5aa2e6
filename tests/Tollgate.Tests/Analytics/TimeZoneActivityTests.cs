using System.Globalization;
using System.Text.Json;
using Tollgate.Budgets;
using Tollgate.Storage;
using Tollgate.Tests.Budgets;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Analytics;

/// <summary>
/// Requests placed by the clock around local midnights (and DST changes) of zones with :30 and :45
/// offsets, 30-minute DST and the extremes of the date line; every day's figures, in every zone,
/// equal the ledger's rows of that local date, whether read org-wide (facets) or per member and key.
/// </summary>
public sealed class TimeZoneActivityTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly (string Zone, string[] Dates)[] Cases =
    [
        ("Asia/Kolkata", ["2026-03-10"]),
        ("Asia/Kathmandu", ["2026-03-10"]),
        ("Australia/Eucla", ["2026-03-10"]),
        ("Australia/Lord_Howe", ["2026-04-05", "2026-10-04"]),
        ("Europe/Paris", ["2026-03-29", "2026-10-25"]),
        ("America/New_York", ["2026-03-08", "2026-11-01"]),
        ("Pacific/Apia", ["2026-03-10"]),
        ("Pacific/Kiritimati", ["2026-03-10"]),
    ];

    private static DateOnly D(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateTimeOffset Midnight(TimeZoneInfo zone, DateOnly date) =>
        new(TimeZoneInfo.ConvertTimeToUtc(date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified), zone), TimeSpan.Zero);

    private static DateOnly LocalDate(TimeZoneInfo zone, long utcMs) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTimeOffset.FromUnixTimeMilliseconds(utcMs).UtcDateTime, zone));

    private static long Pico(JsonElement e, string name) => Money.ToPico(decimal.Parse(e.GetProperty(name).GetString()!, CultureInfo.InvariantCulture));

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Activity_AroundLocalMidnights_EveryDayEqualsTheLedger(DbDialect dialect)
    {
        var clock = new ShiftedTimeProvider(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        await using var host = await GatewayTestHost.StartAsync(dialect, clock: clock);
        var (devToken, devMemberId) = await BudgetTestCalls.AddDeveloperAsync(host);
        var devKey = await BudgetTestCalls.CreateKeyAsync(host, "dev key", devToken);
        var ownerMemberId = await BudgetTestCalls.MemberIdAsync(host);

        // :: Place requests: a minute before each local midnight, at it, 14 minutes after, a minute
        // before the next one and, on DST days, three hours in (after the change).
        var instants = new SortedSet<DateTimeOffset>();
        foreach (var (zoneName, dates) in Cases)
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneName);
            foreach (var date in dates.Select(D))
            {
                var midnight = Midnight(zone, date);
                var next = Midnight(zone, date.AddDays(1));
                instants.UnionWith([midnight.AddMinutes(-1), midnight, midnight.AddMinutes(14), next.AddMinutes(-1), midnight.AddHours(3)]);
            }
        }

        var i = 0;
        foreach (var instant in instants)
        {
            clock.Freeze(instant);
            using var client = host.Server.CreateClient(i++ % 3 == 0 ? devKey : host.Key);
            using var response = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "at " + instant.ToString("O", CultureInfo.InvariantCulture), maxTokens: 5)).WaitAsync(Timeout);
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }

        clock.Freeze(new DateTimeOffset(2026, 3, 1, 1, 0, 0, TimeSpan.Zero)); // back to when the session was made
        await using var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync().AsTask().WaitAsync(Timeout);
        var ledger = await RollupAssert.LedgerAsync(connection);
        Assert.Equal(instants.Count, ledger.Count);
        using var owner = host.Server.CreateClient(host.Token);

        foreach (var (zoneName, dates) in Cases)
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneName);
            var from = D(dates[0]).AddDays(-10); // other zones' requests fill the days nearby; these stay empty
            var to = D(dates[^1]).AddDays(1);
            var query = $"organizationId={host.OrgId}&from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}&timezone={Uri.EscapeDataString(zoneName)}";

            // :: Org-wide, by model: each day is the ledger's rows of that local date, zero-filled.
            var range = await GetAsync(owner, $"analytics/activity?{query}&groupBy=model");
            var days = range.GetProperty("days").EnumerateArray().ToList();
            Assert.Equal(to.DayNumber - from.DayNumber + 1, days.Count);
            for (var d = 0; d < days.Count; d++)
            {
                var date = from.AddDays(d);
                var rows = ledger.Where(r => LocalDate(zone, r.EndedAt) == date).ToList();
                Assert.Equal(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), days[d].GetProperty("date").GetString());
                Assert.True(rows.Count == days[d].GetProperty("requests").GetInt64(), $"{zoneName} {date}: {days[d]}");
                Assert.Equal(rows.Sum(r => r.CostPico), Pico(days[d], "cost"));
                Assert.Equal(rows.Sum(r => r.InputTokens), days[d].GetProperty("inputTokens").GetInt64());
                Assert.Equal(rows.Sum(r => r.OutputTokens), days[d].GetProperty("outputTokens").GetInt64());
                Assert.Equal(rows.Sum(r => r.CostPico), days[d].GetProperty("groups").EnumerateArray().Sum(g => Pico(g, "cost")));

                // The same day asked for alone (days with requests, and the first, empty one).
                if (rows.Count == 0 && d > 0)
                {
                    continue;
                }

                var single = await GetAsync(owner, $"analytics/activity?organizationId={host.OrgId}&from={date:yyyy-MM-dd}&to={date:yyyy-MM-dd}&timezone={Uri.EscapeDataString(zoneName)}");
                Assert.Equal(Pico(days[d], "cost"), Pico(single.GetProperty("totals"), "cost"));
                Assert.Equal(days[d].GetProperty("requests").GetInt64(), single.GetProperty("totals").GetProperty("requests").GetInt64());
            }

            Assert.Contains(days, day => day.GetProperty("requests").GetInt64() == 0 && day.GetProperty("cost").GetString() == "0");
            var inRange = ledger.Where(r => LocalDate(zone, r.EndedAt) >= from && LocalDate(zone, r.EndedAt) <= to).ToList();
            Assert.Equal(inRange.Sum(r => r.CostPico), Pico(range.GetProperty("totals"), "cost"));
            Assert.Equal(inRange.Count, range.GetProperty("totals").GetProperty("requests").GetInt64());
            Assert.Equal(days.Sum(day => Pico(day, "cost")), Pico(range.GetProperty("totals"), "cost"));

            // :: Per member (15-minute rows), by key: a member's days equal their ledger rows and the sum of their keys.
            var members = await GetAsync(owner, $"analytics/members?{query}");
            foreach (var memberId in new[] { ownerMemberId, devMemberId })
            {
                var byKey = await GetAsync(owner, $"analytics/activity?{query}&groupBy=apiKey&memberId={memberId}");
                var mine = inRange.Where(r => r.MemberId == memberId).ToList();
                Assert.Equal(mine.Sum(r => r.CostPico), Pico(byKey.GetProperty("totals"), "cost"));
                Assert.Equal(mine.Sum(r => r.CostPico), byKey.GetProperty("totals").GetProperty("groups").EnumerateArray().Sum(g => Pico(g, "cost")));
                var memberDays = byKey.GetProperty("days").EnumerateArray().ToList();
                for (var d = 0; d < memberDays.Count; d++)
                {
                    Assert.Equal(mine.Where(r => LocalDate(zone, r.EndedAt) == from.AddDays(d)).Sum(r => r.CostPico), Pico(memberDays[d], "cost"));
                }

                var row = members.GetProperty("data").EnumerateArray().Single(m => m.GetProperty("memberId").GetString() == memberId);
                Assert.Equal(mine.Sum(r => r.CostPico), Pico(row, "cost"));
                Assert.Equal(mine.Count, row.GetProperty("requests").GetInt64());
                Assert.Equal(mine.Sum(r => r.InputTokens + r.OutputTokens), row.GetProperty("tokens").GetInt64());
            }
        }
    }

    private static async Task<JsonElement> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path).WaitAsync(Timeout);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
