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
/// where a head is the cheapest signed mix of buckets (below), and a day total that a head takes back
/// cancels against the slot's own (see <see cref="SlotPieces"/>). A
/// head is the cheapest signed mix of 6-hour, hour and 15-minute buckets, counted from midnight or
/// back from the next midnight (then with the day total): 18:30 for Asia/Kolkata is the day less
/// 18:00–24:00 plus two quarters, 3 buckets. A 366-day read in a :30 zone takes about 7 buckets per
/// day instead of 15, and 5 in a whole-hour zone instead of 11. The result is exact: every 15-minute bucket is counted once, in its own slot.
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
    /// The buckets to read straight into slots (<see cref="FacetPiece.Slot"/> is then a slot): each
    /// entity's buckets go to every slot it adds to, with the coefficient in the sign. A head feeds the
    /// two slots that meet at its boundary, and a day total a head takes back cancels against the one
    /// its slot adds, so a local day of a :30 zone is about 7 buckets, and one long interval (a range
    /// total) is its whole days and two heads.
    /// </summary>
    public List<FacetPiece> SlotPieces()
    {
        var byEntity = new List<FacetPiece>[EntityCount];
        foreach (var piece in Pieces)
        {
            (byEntity[piece.Slot] ??= []).Add(piece);
        }

        var result = new List<FacetPiece>(Pieces.Count * 2);
        foreach (var (entity, slot, coefficient) in SlotCoefficients())
        {
            foreach (var piece in byEntity[entity] ?? [])
            {
                result.Add(piece with { Slot = slot, Sign = piece.Sign * coefficient });
            }
        }

        return result;
    }

    /// <summary>
    /// How entity sums add up to slot sums: slot <c>i</c> is Σ coefficient × entity over its entries.
    /// Zero coefficients are left out (a day total that a head adds back cancels).
    /// </summary>
    public List<(int Entity, int Slot, int Coefficient)> SlotCoefficients()
    {
        var coefficients = new Dictionary<(int Entity, int Slot), int>();
        void Add(int entity, int slot, int coefficient) =>
            coefficients[(entity, slot)] = coefficients.GetValueOrDefault((entity, slot)) + coefficient;

        var slots = _boundaryDay.Length - 1;
        for (var i = 0; i < slots; i++)
        {
            for (var k = _boundaryDay[i]; k < _boundaryDay[i + 1]; k++)
            {
                Add(k, i, 1);
            }
        }

        // head(j) is added to the slot that ends at boundary j and taken from the one that starts there.
        for (var j = 0; j < _boundaryDay.Length; j++)
        {
            if (!_hasHead[j])
            {
                continue;
            }

            foreach (var (slot, sign) in new[] { (j - 1, 1), (j, -1) })
            {
                if (slot < 0 || slot >= slots)
                {
                    continue;
                }

                Add(DayCount + j, slot, sign);
                if (_headUsesDay[j])
                {
                    Add(_boundaryDay[j], slot, sign);
                }
            }
        }

        return [.. coefficients.Where(c => c.Value != 0).Select(c => (c.Key.Entity, c.Key.Slot, c.Value))];
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
