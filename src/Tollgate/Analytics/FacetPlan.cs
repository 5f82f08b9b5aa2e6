namespace Tollgate.Analytics;

/// <summary>One facet bucket a query adds (sign +1) or subtracts (−1) into one of its entities.</summary>
internal readonly record struct FacetPiece(long Grain, long BucketStart, int Slot, int Sign);

/// <summary>
/// How org-wide sums over consecutive slots (the local days of a range, or one interval) are read
/// from the facets. A slot <c>[a, b)</c> is the whole UTC days from <c>a</c>'s day up to <c>b</c>'s day,
/// less the head of <c>a</c>'s day before <c>a</c>, plus the head of <c>b</c>'s day before <c>b</c>:
/// <code>
///   sum[a, b) = Σ days[day(a) .. day(b)) − head(a) + head(b)      head(t) = sum[day(t), t)
/// </code>
/// so each UTC day total is read once and each boundary's head once, though two slots use them. A
/// head is the cheapest signed mix of 6-hour, hour and 15-minute buckets, counted from midnight or
/// back from the next midnight (then with the day total): 18:30 for Asia/Kolkata is the day less
/// 18:00–24:00 plus two quarters, 3 buckets. A 366-day read in a :30 zone takes about 4 buckets per
/// day instead of 15. The result is exact: every 15-minute bucket is counted once, in its own slot.
/// </summary>
internal sealed class FacetPlan
{
    private const int QuartersPerDay = (int)(Rollups.DayMs / Rollups.QuarterMs);

    // The cheapest head cover of each offset in quarters from midnight (index 0..96).
    private static readonly HeadCover[] Covers = BuildCovers();

    private readonly int[] _boundaryDay;
    private readonly bool[] _headUsesDay;
    private readonly bool[] _hasHead;

    private FacetPlan(long firstDay, int dayCount, int boundaries)
    {
        FirstDay = firstDay;
        DayCount = dayCount;
        _boundaryDay = new int[boundaries];
        _headUsesDay = new bool[boundaries];
        _hasHead = new bool[boundaries];
    }

    /// <summary>The first UTC day read (UTC ms).</summary>
    public long FirstDay { get; }

    /// <summary>Day totals read: entities <c>0 .. DayCount − 1</c>.</summary>
    public int DayCount { get; }

    /// <summary>Entities in all: day totals, then one head per boundary (<c>DayCount + j</c>).</summary>
    public int EntityCount => DayCount + _boundaryDay.Length;

    /// <summary>The buckets to read, each into its entity (<see cref="FacetPiece.Slot"/>).</summary>
    public List<FacetPiece> Pieces { get; } = [];

    /// <summary>The plan for the slots <c>[starts[i], starts[i + 1])</c> (15-minute edges, ascending).</summary>
    public static FacetPlan For(long[] starts)
    {
        var firstDay = Rollups.Floor(starts[0], Rollups.DayMs);
        var lastDay = Rollups.Floor(starts[^1], Rollups.DayMs);
        var dayCount = (int)((lastDay - firstDay) / Rollups.DayMs) + (starts[^1] > lastDay ? 1 : 0);
        var plan = new FacetPlan(firstDay, dayCount, starts.Length);
        for (var k = 0; k < dayCount; k++)
        {
            plan.Pieces.Add(new FacetPiece(Rollups.DayMs, firstDay + (k * Rollups.DayMs), k, 1));
        }

        for (var j = 0; j < starts.Length; j++)
        {
            var day = Rollups.Floor(starts[j], Rollups.DayMs);
            plan._boundaryDay[j] = (int)((day - firstDay) / Rollups.DayMs);
            var quarters = (int)((starts[j] - day) / Rollups.QuarterMs);
            if (quarters == 0)
            {
                continue;
            }

            var cover = Covers[quarters];
            plan._hasHead[j] = true;
            plan._headUsesDay[j] = cover.UseDay;
            foreach (var (grain, startQuarter, sign) in cover.Pieces)
            {
                plan.Pieces.Add(new FacetPiece(grain, day + (startQuarter * Rollups.QuarterMs), dayCount + j, sign));
            }
        }

        return plan;
    }

    /// <summary>
    /// The slot sums of one value from its entity sums (<paramref name="entities"/>, indexed by entity,
    /// zero where nothing was read), calling <paramref name="emit"/> for each slot.
    /// </summary>
    public void Combine(ReadOnlySpan<UsageSums> entities, Span<UsageSums> scratch, Action<int, UsageSums> emit)
    {
        // scratch[k] = the sum of the days before day k
        scratch[0] = default;
        for (var k = 0; k < DayCount; k++)
        {
            scratch[k + 1] = scratch[k];
            scratch[k + 1].Add(entities[k]);
        }

        for (var i = 0; i + 1 < _boundaryDay.Length; i++)
        {
            var sums = scratch[_boundaryDay[i + 1]];
            sums.Add(scratch[_boundaryDay[i]], -1);
            AddHead(ref sums, entities, i + 1, 1);
            AddHead(ref sums, entities, i, -1);
            emit(i, sums);
        }
    }

    private void AddHead(ref UsageSums sums, ReadOnlySpan<UsageSums> entities, int boundary, int sign)
    {
        if (!_hasHead[boundary])
        {
            return;
        }

        if (_headUsesDay[boundary])
        {
            sums.Add(entities[_boundaryDay[boundary]], sign);
        }

        sums.Add(entities[DayCount + boundary], sign);
    }

    private readonly record struct HeadCover(bool UseDay, (long Grain, int StartQuarter, int Sign)[] Pieces);

    // Shortest signed path over aligned blocks from midnight (0) or from the next midnight (96, with
    // the day total) to each offset: a block of n quarters may be added going forward from a multiple
    // of n, or subtracted going back from one.
    private static HeadCover[] BuildCovers()
    {
        int[] lengths = [(int)(6 * Rollups.HourMs / Rollups.QuarterMs), (int)(Rollups.HourMs / Rollups.QuarterMs), 1];
        var from = new (int Previous, int Length, int Sign)[QuartersPerDay + 1];
        var distance = Enumerable.Repeat(int.MaxValue, QuartersPerDay + 1).ToArray();
        var queue = new Queue<int>();
        distance[0] = 0;
        distance[QuartersPerDay] = 0;
        from[0] = (-1, 0, 0);
        from[QuartersPerDay] = (-1, 0, 0);
        queue.Enqueue(0);
        queue.Enqueue(QuartersPerDay);
        while (queue.TryDequeue(out var p))
        {
            foreach (var n in lengths)
            {
                if (p % n != 0)
                {
                    continue;
                }

                foreach (var (next, sign) in new[] { (p + n, 1), (p - n, -1) })
                {
                    if (next >= 0 && next <= QuartersPerDay && distance[next] == int.MaxValue)
                    {
                        distance[next] = distance[p] + 1;
                        from[next] = (p, n, sign);
                        queue.Enqueue(next);
                    }
                }
            }
        }

        var covers = new HeadCover[QuartersPerDay + 1];
        for (var target = 1; target < QuartersPerDay; target++)
        {
            var pieces = new List<(long, int, int)>();
            var at = target;
            while (from[at].Previous >= 0)
            {
                var (previous, n, sign) = from[at];
                pieces.Add((n * Rollups.QuarterMs, sign > 0 ? previous : at, sign));
                at = previous;
            }

            covers[target] = new HeadCover(at == QuartersPerDay, [.. pieces]);
        }

        return covers;
    }
}
