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
/// Org-wide reads add facet buckets (UTC day totals, and each slot boundary's head: see <see cref="FacetPlan"/>);
/// reads limited to a member, key or project sum that one's 15-minute rows.
/// </summary>
internal sealed class UsageQueries(Database database)
{
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
        var rows = filter.IsEmpty
            ? await FromFacetsAsync(orgId, starts, dimension, ct).ConfigureAwait(false)
            : await FromRollupsAsync(orgId, starts, dimension, filter, ct).ConfigureAwait(false);
        var result = new Dictionary<(int, string), UsageSums>();
        foreach (var r in rows)
        {
            var sums = new UsageSums
            {
                Requests = r.Requests, Errors = r.Errors, CostPico = r.CostPico, InputTokens = r.InputTokens,
                OutputTokens = r.OutputTokens, CachedTokens = r.CachedTokens, ReasoningTokens = r.ReasoningTokens,
            };
            if (sums.Requests == 0 && sums.Errors == 0 && sums.CostPico == 0 && sums.InputTokens == 0 && sums.OutputTokens == 0 && sums.CachedTokens == 0 && sums.ReasoningTokens == 0)
            {
                continue; // a day minus its parts can cancel to an empty row
            }

            ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(result, ((int)r.Slot, r.Value), out _);
            slot.Add(sums);
        }

        return result;
    }

    private async Task<IEnumerable<Row>> FromFacetsAsync(string orgId, long[] starts, string dimension, CancellationToken ct)
    {
        var pieces = FacetPlan.For(starts).SlotPieces();
        if (pieces.Count == 0)
        {
            return [];
        }

        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        var sums = SumColumns.Replace("{0}", "p.sign * f.", StringComparison.Ordinal);
        if (database.IsPostgres)
        {
            return await connection.QueryAsync<Row>(new CommandDefinition(
                $"""
                SELECT p.slot::bigint AS Slot, f.value AS Value, {sums}
                FROM unnest(@grains, @buckets, @slots, @signs) AS p (grain, bucket, slot, sign)
                JOIN usage_facets f ON f.org_id = @orgId AND f.dimension = @dimension AND f.grain = p.grain AND f.bucket_start = p.bucket
                GROUP BY p.slot, f.value
                """,
                new
                {
                    orgId, dimension,
                    grains = pieces.Select(p => p.Grain).ToArray(),
                    buckets = pieces.Select(p => p.BucketStart).ToArray(),
                    slots = pieces.Select(p => p.Slot).ToArray(),
                    signs = pieces.Select(p => (long)p.Sign).ToArray(),
                },
                cancellationToken: ct)).ConfigureAwait(false);
        }

        // SQLite: the pieces travel as one JSON array; CROSS JOIN keeps them the outer loop, so each
        // piece is one primary-key seek into the facets.
        var json = new StringBuilder(pieces.Count * 32).Append('[');
        foreach (var p in pieces)
        {
            json.Append(json.Length == 1 ? "[" : ",[").Append(p.Grain).Append(',').Append(p.BucketStart).Append(',').Append(p.Slot).Append(',').Append(p.Sign).Append(']');
        }

        json.Append(']');
        return await connection.QueryAsync<Row>(new CommandDefinition(
            $"""
            WITH p (grain, bucket, slot, sign) AS (
                SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]')
                FROM json_each(@pieces))
            SELECT p.slot AS Slot, f.value AS Value, {sums}
            FROM p CROSS JOIN usage_facets f
            WHERE f.org_id = @orgId AND f.dimension = @dimension AND f.grain = p.grain AND f.bucket_start = p.bucket
            GROUP BY p.slot, f.value
            """,
            new { orgId, dimension, pieces = json.ToString() },
            cancellationToken: ct)).ConfigureAwait(false);
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
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
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
