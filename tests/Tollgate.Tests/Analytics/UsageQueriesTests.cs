using Tollgate.Analytics;
using Tollgate.Budgets;
using Tollgate.Storage;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Analytics;

/// <summary>Org-wide reads (facets) and filtered reads (15-minute rows) agree, on both dialects.</summary>
public sealed class UsageQueriesTests
{
    private static LedgerEntry Row(string id, DateTimeOffset at, string member, long cost) => new()
    {
        Id = id, RequestId = id, Attempt = 1, OrgId = "org_q", ProjectId = "prj_q", MemberId = member, KeyId = "key_" + member,
        Service = "llm", Endpoint = "chat.completions", Model = "m1", Provider = "p1", ProviderModel = "pm",
        Status = LedgerStatus.Ok, HttpStatus = 200, InputTokens = 3, OutputTokens = 2, CostPico = cost, StartedAt = at, EndedAt = at,
    };

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task SingleDays_FromFacetsAndFromRollups_Agree(DbDialect dialect)
    {
        await using var database = await TestDatabases.CreateAsync(dialect);
        var start = new DateTimeOffset(2026, 3, 9, 0, 0, 0, TimeSpan.Zero);
        var rows = Enumerable.Range(0, 96 * 4).Select(i => Row("r" + i, start.AddMinutes(15 * i + 7), i % 2 == 0 ? "a" : "b", 1000 + i)).ToList();
        await using (var connection = await database.OpenAsync())
        {
            await Rollups.AddAsync(connection, null, rows);
        }

        Assert.True(LocalDays.TryFindZone("Asia/Kolkata", out var zone));
        var queries = new UsageQueries(database);
        for (var day = new DateOnly(2026, 3, 9); day <= new DateOnly(2026, 3, 12); day = day.AddDays(1))
        {
            var days = LocalDays.Create(zone, day, day);
            var expected = rows.Where(r => r.EndedAt.ToUnixTimeMilliseconds() >= days.Start && r.EndedAt.ToUnixTimeMilliseconds() < days.End).ToList();
            var facets = await queries.SumAsync("org_q", days.Starts, Rollups.Member, default, TestContext.Current.CancellationToken);
            Assert.Equal(expected.Sum(r => r.CostPico), facets.Values.Sum(s => s.CostPico));
            Assert.Equal(expected.Count, facets.Values.Sum(s => s.Requests));
            foreach (var member in new[] { "a", "b" })
            {
                var filtered = await queries.SumAsync("org_q", days.Starts, Rollups.Key, new UsageFilter(member, null, null), TestContext.Current.CancellationToken);
                Assert.Equal(expected.Where(r => r.MemberId == member).Sum(r => r.CostPico), filtered.Values.Sum(s => s.CostPico));
                Assert.Equal(facets.GetValueOrDefault((0, member)).CostPico, filtered.Values.Sum(s => s.CostPico));
            }
        }
    }
}
