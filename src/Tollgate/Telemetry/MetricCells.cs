using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Tollgate.Telemetry;

/// <summary>
/// Running totals for counters and gauges the gateway bumps on every request, one cell per tag set.
/// Bumping a cell is a dictionary lookup and an interlocked add; the totals reach OpenTelemetry only
/// when an exporter collects, through an observable instrument. Recording through a synchronous
/// instrument instead costs a tag sort and an aggregator lookup per call, a dozen times per request.
/// Past <see cref="MaxCells"/> tag sets, further ones share one overflow cell (as OpenTelemetry's own
/// cardinality limit does), so a flood of distinct values cannot grow memory without bound.
/// </summary>
/// <typeparam name="TKey">The tag values, as a record struct.</typeparam>
internal sealed class MetricCells<TKey>(Func<TKey, KeyValuePair<string, object?>[]> tags)
    where TKey : notnull
{
    /// <summary>Tag sets kept apart before the overflow cell takes the rest.</summary>
    public const int MaxCells = 2000;

    private static readonly KeyValuePair<string, object?>[] OverflowTags = [new("otel.metric.overflow", true)];

    private readonly ConcurrentDictionary<TKey, MetricCell> _cells = new();
    private readonly MetricCell _overflow = new(OverflowTags);

    /// <summary>The cell of <paramref name="key"/>'s tag set.</summary>
    public MetricCell For(TKey key)
    {
        if (_cells.TryGetValue(key, out var cell))
        {
            return cell;
        }

        return _cells.Count >= MaxCells ? _overflow : _cells.GetOrAdd(key, static (k, make) => new MetricCell(make(k)), tags);
    }

    /// <summary>Each cell's first total, for an observable instrument of whole numbers.</summary>
    public IEnumerable<Measurement<long>> Totals() => All().Select(static c => new Measurement<long>(Volatile.Read(ref c.Total), c.Tags));

    /// <summary>Each cell's second total (an amount in pico-dollars), in dollars.</summary>
    public IEnumerable<Measurement<double>> Dollars() =>
        All().Select(static c => new Measurement<double>((double)Tollgate.Budgets.Money.FromPico(Volatile.Read(ref c.Amount)), c.Tags));

    private IEnumerable<MetricCell> All() => Volatile.Read(ref _overflow.Total) == 0 && Volatile.Read(ref _overflow.Amount) == 0
        ? _cells.Values
        : _cells.Values.Append(_overflow);
}

/// <summary>One tag set's running totals: a count and an amount in pico-dollars.</summary>
internal sealed class MetricCell(KeyValuePair<string, object?>[] tags)
{
    /// <summary>The count (requests, tokens, reservations, streams).</summary>
    public long Total;

    /// <summary>An amount in pico-dollars (cost charged, amount reserved).</summary>
    public long Amount;

    /// <summary>The tags every measurement of this cell carries.</summary>
    public KeyValuePair<string, object?>[] Tags { get; } = tags;

    /// <summary>Adds to the count.</summary>
    public void Add(long count) => Interlocked.Add(ref Total, count);

    /// <summary>Adds to the amount.</summary>
    public void AddAmount(long pico) => Interlocked.Add(ref Amount, pico);
}
