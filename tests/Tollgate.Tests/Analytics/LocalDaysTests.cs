using Tollgate.Analytics;

namespace Tollgate.Tests.Analytics;

/// <summary>Local days in IANA zones, and the facet buckets that cover them.</summary>
public sealed class LocalDaysTests
{
    private static TimeZoneInfo Zone(string name)
    {
        Assert.True(LocalDays.TryFindZone(name, out var zone), name);
        return zone;
    }

    private static double Hours(LocalDays days, int i) => (days.Starts[i + 1] - days.Starts[i]) / 3_600_000.0;

    [Theory]
    [InlineData("America/New_York", "2026-03-08", 23)]
    [InlineData("America/New_York", "2026-11-01", 25)]
    [InlineData("Europe/Paris", "2026-03-29", 23)]
    [InlineData("Europe/Paris", "2026-10-25", 25)]
    [InlineData("Australia/Lord_Howe", "2026-04-05", 24.5)]
    [InlineData("Australia/Lord_Howe", "2026-10-04", 23.5)]
    [InlineData("Asia/Kolkata", "2026-03-08", 24)]
    [InlineData("Pacific/Apia", "2011-12-30", 0)]
    [InlineData("Pacific/Apia", "2011-12-29", 24)]
    public void Day_LengthFollowsTheZone(string zone, string date, double hours)
    {
        var d = DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture);
        var days = LocalDays.Create(Zone(zone), d, d);

        Assert.Equal(hours, Hours(days, 0));
    }

    [Theory]
    [InlineData("Asia/Kolkata", "2026-07-01T00:00:00+05:30")]
    [InlineData("Asia/Kathmandu", "2026-07-01T00:00:00+05:45")]
    [InlineData("Australia/Eucla", "2026-07-01T00:00:00+08:45")]
    [InlineData("Pacific/Kiritimati", "2026-07-01T00:00:00+14:00")]
    [InlineData("Pacific/Apia", "2026-07-01T00:00:00+13:00")]
    [InlineData("America/New_York", "2026-07-01T00:00:00-04:00")]
    [InlineData("UTC", "2026-07-01T00:00:00Z")]
    public void DayStart_IsLocalMidnight(string zone, string midnight)
    {
        var days = LocalDays.Create(Zone(zone), new DateOnly(2026, 7, 1), new DateOnly(2026, 7, 1));

        Assert.Equal(DateTimeOffset.Parse(midnight, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), days.Start);
    }

    [Theory]
    [InlineData("Not/AZone")]
    [InlineData("../../etc/passwd")]
    [InlineData("Europe/Paris ")]
    public void TryFindZone_UnknownNames_AreRejected(string name) => Assert.False(LocalDays.TryFindZone(name, out _));

    [Theory]
    [InlineData("Asia/Kolkata")]
    [InlineData("Asia/Kathmandu")]
    [InlineData("Australia/Eucla")]
    [InlineData("Australia/Lord_Howe")]
    [InlineData("America/New_York")]
    [InlineData("Pacific/Kiritimati")]
    public void FacetPlan_SumsEachDayExactly(string zone)
    {
        // Every 15-minute bucket of a year of local days is counted once, in its own day, whatever mix
        // of day totals and signed 6-hour, hour and 15-minute buckets the plan reads: each bucket gets a
        // random weight, each facet bucket the sum of its weights, and each day must sum to its own.
        var days = LocalDays.Create(Zone(zone), new DateOnly(2026, 1, 1), new DateOnly(2026, 12, 31));
        var pieces = FacetPlan.For(days.Starts).SlotPieces();
        var random = new Random(7);
        var weights = new Dictionary<long, long>();
        long Weight(long quarter) => weights.TryGetValue(quarter, out var w) ? w : weights[quarter] = random.NextInt64(1, 1L << 40);

        var actual = new long[days.Count];
        foreach (var p in pieces)
        {
            for (var q = p.BucketStart; q < p.BucketStart + p.Grain; q += Rollups.QuarterMs)
            {
                actual[p.Slot] += p.Sign * Weight(q);
            }
        }

        var expected = new long[days.Count];
        for (var q = days.Start; q < days.End; q += Rollups.QuarterMs)
        {
            expected[UsageQueries.SlotOf(days.Starts, q)] += Weight(q);
        }

        Assert.Equal(expected, actual);
        Assert.True(pieces.Count <= days.Count * 12, $"{pieces.Count} pieces for {days.Count} days");
    }
}
