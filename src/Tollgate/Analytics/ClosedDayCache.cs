using System.Collections.Concurrent;

namespace Tollgate.Analytics;

/// <summary>
/// Org-wide sums of slots that lie wholly in closed days (before <see cref="AnalyticsEpochs.CacheableBefore"/>),
/// kept in memory per (org, dimension, slot start, slot end) under the org's analytics epoch read
/// before the slot was: an entry is used only while the epoch read for a query is the same, and any
/// write into a closed day moves the epoch in the database (see <see cref="AnalyticsEpochs"/>), so
/// every node stays exact. A 366-day activity read then reads only its last few days from the facets.
/// Bounded: past <see cref="MaxValues"/> values held, it starts empty again.
/// </summary>
internal sealed class ClosedDayCache
{
    /// <summary>The most (slot, value) sums held, about 80 bytes each.</summary>
    public const long MaxValues = 1_000_000;

    private readonly ConcurrentDictionary<(string Org, string Dimension, long Start, long End), Entry> _slots = new();
    private long _values;
    private long _latestNowMs = long.MinValue;

    private sealed record Entry(long Epoch, KeyValuePair<string, UsageSums>[] Values);

    /// <summary>Whether reads use it (<c>Tollgate:Analytics:DayCache</c>, default true).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// Notes the reader's clock: if it went back more than an hour (a test clock, a corrected host),
    /// what was closed by the later clock may not be closed by this one, so everything is dropped.
    /// </summary>
    public void Observe(DateTimeOffset now)
    {
        var ms = now.ToUnixTimeMilliseconds();
        var latest = Interlocked.Read(ref _latestNowMs);
        if (ms < latest - Rollups.HourMs)
        {
            Clear();
        }

        if (ms > latest)
        {
            Interlocked.CompareExchange(ref _latestNowMs, ms, latest);
        }
    }

    /// <summary>The sums of a slot kept under <paramref name="epoch"/>, or null.</summary>
    public KeyValuePair<string, UsageSums>[]? Find(string orgId, string dimension, long start, long end, long epoch) =>
        _slots.TryGetValue((orgId, dimension, start, end), out var entry) && entry.Epoch == epoch ? entry.Values : null;

    /// <summary>Keeps a slot's sums, read after <paramref name="epoch"/> was.</summary>
    public void Keep(string orgId, string dimension, long start, long end, long epoch, KeyValuePair<string, UsageSums>[] values)
    {
        if (Interlocked.Add(ref _values, values.Length + 1) > MaxValues)
        {
            Clear();
            Interlocked.Add(ref _values, values.Length + 1);
        }

        _slots[(orgId, dimension, start, end)] = new Entry(epoch, values);
    }

    private void Clear()
    {
        _slots.Clear();
        Interlocked.Exchange(ref _values, 0);
    }
}
