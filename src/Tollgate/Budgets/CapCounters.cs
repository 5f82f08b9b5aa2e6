namespace Tollgate.Budgets;

/// <summary>
/// Settled spend as one cap counts it. Counters are loaded from the ledger and then kept up to
/// date by settlements; they know nothing of reservations (held per scope, see <see cref="ScopeState"/>).
/// Not thread-safe: used under the owning member's gate.
/// </summary>
internal abstract class CapCounter
{
    /// <summary>Spend the cap counts at <paramref name="now"/>.</summary>
    public abstract long UsedPico(DateTimeOffset now);

    /// <summary>Adds spend settled at <paramref name="at"/>.</summary>
    public abstract void Add(DateTimeOffset at, long pico);

    /// <summary>When the counted spend next goes down by itself; null when it never does.</summary>
    public abstract DateTimeOffset? ResetsAt(DateTimeOffset now);
}

/// <summary>All spend since an instant: a fixed budget, or lifetime spend when no cap applies.</summary>
internal sealed class TotalCounter(long initialPico, DateTimeOffset? countingFrom) : CapCounter
{
    private long _used = initialPico;

    public override long UsedPico(DateTimeOffset now) => _used;

    public override void Add(DateTimeOffset at, long pico)
    {
        if (countingFrom is null || at >= countingFrom)
        {
            _used += pico;
        }
    }

    public override DateTimeOffset? ResetsAt(DateTimeOffset now) => null;
}

/// <summary>
/// Spend in the current calendar month (UTC) since an instant. The month is a window id, not a
/// timer: the first use in a new month starts it at zero, so no reset job exists to be late.
/// </summary>
internal sealed class MonthlyCounter(DateTimeOffset loadedAt, long initialPico, DateTimeOffset? countingFrom) : CapCounter
{
    private DateTimeOffset _month = BudgetWindows.MonthStart(loadedAt);
    private long _used = initialPico;

    public override long UsedPico(DateTimeOffset now)
    {
        Roll(now);
        return _used;
    }

    public override void Add(DateTimeOffset at, long pico)
    {
        Roll(at);
        if (BudgetWindows.MonthStart(at) == _month && (countingFrom is null || at >= countingFrom))
        {
            _used += pico;
        }
    }

    public override DateTimeOffset? ResetsAt(DateTimeOffset now) => BudgetWindows.NextMonthStart(now);

    private void Roll(DateTimeOffset now)
    {
        var month = BudgetWindows.MonthStart(now);
        if (month > _month)
        {
            _month = month;
            _used = 0; // unused balance does not carry over
        }
    }
}

/// <summary>
/// Spend inside a rolling window (t − D, t], kept in UTC-aligned buckets; a bucket belongs to the
/// window while its start is inside it.
/// Invariant: <c>_sum</c> equals the sum of <c>_buckets</c>, and every bucket start is &gt; t − D for the last t seen.
/// </summary>
internal sealed class RollingCounter : CapCounter
{
    private readonly long _widthMs;
    private readonly long _durationMs;
    private readonly DateTimeOffset? _countingFrom;
    private readonly SortedDictionary<long, long> _buckets = [];
    private long _sum;

    public RollingCounter(RollingWindow window, DateTimeOffset? countingFrom, IEnumerable<(long BucketStartMs, long Pico)> initial)
    {
        _widthMs = (long)BudgetWindows.BucketWidth(window).TotalMilliseconds;
        _durationMs = (long)BudgetWindows.Duration(window).TotalMilliseconds;
        _countingFrom = countingFrom;
        foreach (var (start, pico) in initial)
        {
            _buckets[start] = _buckets.GetValueOrDefault(start) + pico;
            _sum += pico;
        }
    }

    /// <summary>The bucket width, for loading from the ledger.</summary>
    public long WidthMs => _widthMs;

    public override long UsedPico(DateTimeOffset now)
    {
        Prune(now);
        return _sum;
    }

    public override void Add(DateTimeOffset at, long pico)
    {
        if (_countingFrom is not null && at < _countingFrom)
        {
            return;
        }

        var start = BudgetWindows.BucketStart(at.ToUnixTimeMilliseconds(), _widthMs);
        _buckets[start] = _buckets.GetValueOrDefault(start) + pico;
        _sum += pico;
    }

    public override DateTimeOffset? ResetsAt(DateTimeOffset now)
    {
        Prune(now);
        foreach (var (start, pico) in _buckets)
        {
            if (pico > 0)
            {
                // The oldest non-empty bucket leaves the window when t − D reaches its start.
                return DateTimeOffset.FromUnixTimeMilliseconds(start + _durationMs);
            }
        }

        return null;
    }

    private void Prune(DateTimeOffset now)
    {
        var edge = now.ToUnixTimeMilliseconds() - _durationMs; // buckets starting at or before the edge have left
        while (_buckets.Count > 0)
        {
            var first = _buckets.First();
            if (first.Key > edge)
            {
                break;
            }

            _sum -= first.Value;
            _buckets.Remove(first.Key);
        }
    }
}
