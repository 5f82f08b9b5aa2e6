namespace Tollgate.Analytics;

/// <summary>One facet bucket a query adds (sign +1) or subtracts (−1) into one of its result slots.</summary>
internal readonly record struct FacetPiece(long Grain, long BucketStart, int Slot, int Sign);

/// <summary>
/// Covers UTC intervals (on 15-minute edges) with as few facet buckets as possible: whole UTC days,
/// then hours, then 15-minute buckets at the edges. A local day of a zone with a :30 offset, say
/// 18:30 → 18:30 UTC for Asia/Kolkata, is the tail of one UTC day plus the head of the next, and a
/// head longer than half a day is read as the whole day minus its tail: about 15 buckets per day
/// instead of 96. The result is exact; it only changes which buckets are added.
/// </summary>
internal static class FacetPieces
{
    /// <summary>Adds the pieces of <c>[from, to)</c> into <paramref name="slot"/>.</summary>
    public static void Cover(List<FacetPiece> pieces, long from, long to, int slot)
    {
        if (from >= to)
        {
            return;
        }

        var firstDay = Rollups.Floor(from, Rollups.DayMs);
        var lastDay = Rollups.Floor(to, Rollups.DayMs);
        if (firstDay == lastDay)
        {
            Edge(pieces, firstDay, from, to, slot);
            return;
        }

        Edge(pieces, firstDay, from, firstDay + Rollups.DayMs, slot);
        for (var day = firstDay + Rollups.DayMs; day < lastDay; day += Rollups.DayMs)
        {
            pieces.Add(new FacetPiece(Rollups.DayMs, day, slot, 1));
        }

        Edge(pieces, lastDay, lastDay, to, slot);
    }

    /// <summary>Pieces of <c>[from, to)</c> inside the UTC day starting at <paramref name="day"/>: direct, or the day minus the rest.</summary>
    private static void Edge(List<FacetPiece> pieces, long day, long from, long to, int slot)
    {
        if (from >= to)
        {
            return;
        }

        var direct = Count(from, to);
        var complement = 1 + Count(day, from) + Count(to, day + Rollups.DayMs);
        if (direct <= complement)
        {
            Greedy(pieces, from, to, slot, 1);
            return;
        }

        pieces.Add(new FacetPiece(Rollups.DayMs, day, slot, 1));
        Greedy(pieces, day, from, slot, -1);
        Greedy(pieces, to, day + Rollups.DayMs, slot, -1);
    }

    private static int Count(long from, long to)
    {
        var n = 0;
        for (var t = from; t < to; n++)
        {
            t += Step(t, to);
        }

        return n;
    }

    private static void Greedy(List<FacetPiece> pieces, long from, long to, int slot, int sign)
    {
        for (var t = from; t < to;)
        {
            var step = Step(t, to);
            pieces.Add(new FacetPiece(step, t, slot, sign));
            t += step;
        }
    }

    // The widest grain aligned at t that fits before the end (days are handled by the caller).
    private static long Step(long t, long to) =>
        t % Rollups.HourMs == 0 && t + Rollups.HourMs <= to ? Rollups.HourMs : Rollups.QuarterMs;
}
