using System.Text;
using Dapper;
using Tollgate.Storage;

namespace Tollgate.Analytics;

/// <summary>Limits a query to one member, key or project (null: any).</summary>
internal readonly record struct UsageFilter(string? MemberId, string? KeyId, string? ProjectId)
{
    public bool IsEmpty => MemberId is null && KeyId is null && ProjectId is null;
}

/// <summary>
/// Reads the rollups: sums per slot and per value of one dimension, where slots are consecutive UTC
/// intervals on 15-minute edges (the local days of a range, or one interval for a range total).
/// Org-wide reads add facet buckets (UTC day totals, and each slot boundary's head: see <see cref="FacetPlan"/>
/// and <see cref="FacetReader"/>);
/// reads limited to a member, key or project sum that one's 15-minute rows.
/// </summary>
internal sealed class UsageQueries
{
    private readonly Database _database;
    private readonly ClosedDayCache? _cache;
    private readonly TimeProvider _time;

    /// <summary>Reads without a cache of closed days.</summary>
    public UsageQueries(Database database)
        : this(database, null, TimeProvider.System)
    {
    }

    /// <summary>Reads org-wide sums of closed days through <paramref name="cache"/> when it is enabled.</summary>
    public UsageQueries(Database database, ClosedDayCache? cache, TimeProvider time)
    {
        _database = database;
        _cache = cache;
        _time = time;
    }

    // Settable properties, not a constructor: SQLite reports no column types for an empty result,
    // and Dapper matches a constructor by those types.
    private sealed class Row
    {
        public long Slot { get; set; }
        public string Value { get; set; } = "";
        public long Requests { get; set; }
        public long Errors { get; set; }
        public long CostPico { get; set; }
        public long InputTokens { get; set; }
        public long OutputTokens { get; set; }
        public long CachedTokens { get; set; }
        public long ReasoningTokens { get; set; }
    }

    private const string SumColumns = """
        CAST(SUM({0}requests) AS BIGINT) AS Requests, CAST(SUM({0}errors) AS BIGINT) AS Errors, CAST(SUM({0}cost_pico) AS BIGINT) AS CostPico,
        CAST(SUM({0}input_tokens) AS BIGINT) AS InputTokens, CAST(SUM({0}output_tokens) AS BIGINT) AS OutputTokens,
        CAST(SUM({0}cached_tokens) AS BIGINT) AS CachedTokens, CAST(SUM({0}reasoning_tokens) AS BIGINT) AS ReasoningTokens
        """;

    /// <summary>The rollup column of a dimension.</summary>
    public static string Column(string dimension) => dimension switch
    {
        Rollups.Model => "model",
        Rollups.Provider => "provider",
        Rollups.Project => "project_id",
        Rollups.Member => "member_id",
        Rollups.Key => "key_id",
        _ => throw new ArgumentOutOfRangeException(nameof(dimension)),
    };

    /// <summary>
    /// Sums per (slot, value) for slots <c>[starts[i], starts[i + 1])</c>; keys absent had no usage.
    /// </summary>
    public async Task<Dictionary<(int Slot, string Value), UsageSums>> SumAsync(
        string orgId, long[] starts, string dimension, UsageFilter filter, CancellationToken ct)
    {
        if (filter.IsEmpty)
        {
            return _cache is { Enabled: true }
                ? await ThroughCacheAsync(_cache, orgId, starts, dimension, ct).ConfigureAwait(false)
                : await FacetReader.ReadAsync(_database, orgId, starts, dimension, ct).ConfigureAwait(false);
        }

        var rows = await FromRollupsAsync(orgId, starts, dimension, filter, ct).ConfigureAwait(false);
        var result = new Dictionary<(int, string), UsageSums>();
        foreach (var r in rows)
        {
            var sums = new UsageSums
            {
                Requests = r.Requests, Errors = r.Errors, CostPico = r.CostPico, InputTokens = r.InputTokens,
                OutputTokens = r.OutputTokens, CachedTokens = r.CachedTokens, ReasoningTokens = r.ReasoningTokens,
            };
            ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(result, ((int)r.Slot, r.Value), out _);
            slot.Add(sums);
        }

        return result;
    }

    /// <summary>
    /// Org-wide sums with the slots of closed days from <paramref name="days"/> when they were read
    /// under the org's current epoch, and the rest from the facets (then kept, if closed). A slot
    /// that straddles the cacheable edge is read as its two parts, the closed one kept.
    /// </summary>
    private async Task<Dictionary<(int Slot, string Value), UsageSums>> ThroughCacheAsync(
        ClosedDayCache days, string orgId, long[] starts, string dimension, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        days.Observe(now);
        var edge = AnalyticsEpochs.CacheableBefore(now);

        // Split the slot that straddles the edge; `owner` maps the split slots back to the asked ones.
        var split = starts.ToList();
        var straddling = -1;
        for (var i = 0; i + 1 < starts.Length; i++)
        {
            if (starts[i] < edge && edge < starts[i + 1])
            {
                split.Insert(i + 1, edge);
                straddling = i;
                break;
            }
        }

        int Owner(int slot) => straddling >= 0 && slot > straddling ? slot - 1 : slot;

        // The epoch first: what is read after it is at least as new as it says.
        long epoch;
        await using (var connection = await _database.OpenAsync(ct).ConfigureAwait(false))
        {
            epoch = await AnalyticsEpochs.ReadAsync(connection, orgId, ct).ConfigureAwait(false);
        }

        var result = new Dictionary<(int Slot, string Value), UsageSums>();
        void Add(int slot, string value, in UsageSums sums)
        {
            ref var total = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(result, (Owner(slot), value), out _);
            total.Add(sums);
        }

        var missing = new List<int>();
        for (var i = 0; i + 1 < split.Count; i++)
        {
            if (split[i + 1] <= edge && days.Find(orgId, dimension, split[i], split[i + 1], epoch) is { } kept)
            {
                foreach (var (value, sums) in kept)
                {
                    Add(i, value, sums);
                }
            }
            else
            {
                missing.Add(i);
            }
        }

        // The missing slots, as runs of consecutive slots (usually one: the days since the edge).
        for (var r = 0; r < missing.Count;)
        {
            var first = missing[r];
            var last = first;
            while (r + 1 < missing.Count && missing[r + 1] == last + 1)
            {
                last = missing[++r];
            }

            r++;
            var run = split.GetRange(first, last - first + 2).ToArray();
            var read = await FacetReader.ReadAsync(_database, orgId, run, dimension, ct).ConfigureAwait(false);
            var bySlot = new List<KeyValuePair<string, UsageSums>>[run.Length - 1];
            foreach (var ((slot, value), sums) in read)
            {
                Add(first + slot, value, sums);
                (bySlot[slot] ??= []).Add(new(value, sums));
            }

            for (var k = 0; k < bySlot.Length; k++)
            {
                if (run[k + 1] <= edge)
                {
                    days.Keep(orgId, dimension, run[k], run[k + 1], epoch, bySlot[k]?.ToArray() ?? []);
                }
            }
        }

        return result;
    }

    private async Task<IEnumerable<Row>> FromRollupsAsync(string orgId, long[] starts, string dimension, UsageFilter filter, CancellationToken ct)
    {
        var where = new StringBuilder("org_id = @orgId AND bucket_start >= @from AND bucket_start < @to");
        if (filter.MemberId is not null)
        {
            where.Append(" AND member_id = @member");
        }

        if (filter.KeyId is not null)
        {
            where.Append(" AND key_id = @key");
        }

        if (filter.ProjectId is not null)
        {
            where.Append(" AND project_id = @project");
        }

        var column = Column(dimension);
        await using var connection = await _database.OpenAsync(ct).ConfigureAwait(false);
        var buckets = await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT bucket_start AS Slot, {column} AS Value, {SumColumns.Replace("{0}", "", StringComparison.Ordinal)} FROM usage_rollups WHERE {where} GROUP BY bucket_start, {column}",
            new { orgId, from = starts[0], to = starts[^1], member = filter.MemberId, key = filter.KeyId, project = filter.ProjectId },
            cancellationToken: ct)).ConfigureAwait(false);
        var rows = buckets.ToList();
        foreach (var row in rows)
        {
            row.Slot = SlotOf(starts, row.Slot);
        }

        return rows;
    }

    /// <summary>The slot holding <paramref name="ms"/> (inside the range): the last start at or before it.</summary>
    public static int SlotOf(long[] starts, long ms)
    {
        var i = Array.BinarySearch(starts, ms);
        if (i < 0)
        {
            return ~i - 1;
        }

        while (i + 2 < starts.Length && starts[i + 1] == ms)
        {
            i++; // a zero-length day shares its start with the next
        }

        return i;
    }
}
