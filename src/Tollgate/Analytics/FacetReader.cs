using System.Data.Common;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Tollgate.Storage;

namespace Tollgate.Analytics;

/// <summary>
/// Org-wide sums per slot and value, read from the facets as <see cref="FacetPlan"/> lays them out,
/// with every bucket read once and folded into its slots here. The day totals of the whole range
/// are one ordered range scan; the head buckets (6-hour, hour and 15-minute pieces at the slot
/// edges) are one seek each. A bucket a plan uses twice (a day total that one slot adds and the
/// next one's head takes back, a head shared by the two days that meet at it) is still read once:
/// a 366-day read in Asia/Kolkata reads about 4 buckets per day where adding pieces per slot in SQL
/// read 7, and sums 366 × values results instead of grouping every piece row.
/// </summary>
internal static class FacetReader
{
    private const string Sums = "requests, errors, cost_pico, input_tokens, output_tokens, cached_tokens, reasoning_tokens";

    /// <summary>Where one bucket's sums go: slot and coefficient (±1, or ±2 where two pieces of one slot meet).</summary>
    private readonly record struct Target(int Slot, int Coefficient);

    /// <summary>Sums per (slot, value) for the slots <c>[starts[i], starts[i + 1])</c>; a key absent had no usage.</summary>
    public static async Task<Dictionary<(int Slot, string Value), UsageSums>> ReadAsync(
        Database database, string orgId, long[] starts, string dimension, CancellationToken ct)
    {
        var plan = FacetPlan.For(starts);
        var targets = Targets(plan);
        var result = new Dictionary<(int Slot, string Value), UsageSums>();
        if (targets.Count == 0)
        {
            return result;
        }

        // The heads' buckets per grain; the day totals are read as one range.
        var points = new Dictionary<long, List<long>>();
        foreach (var (grain, bucket) in targets.Keys)
        {
            if (grain != Rollups.DayMs)
            {
                (points.TryGetValue(grain, out var list) ? list : points[grain] = []).Add(bucket);
            }
        }

        var dayFrom = plan.FirstDay;
        var dayTo = plan.FirstDay + (plan.DayCount * Rollups.DayMs);
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        var sql = new StringBuilder(
            $"SELECT grain, bucket_start, value, {Sums} FROM usage_facets "
            + $"WHERE org_id = @org AND dimension = @dimension AND grain = {Rollups.DayMs} AND bucket_start >= @dayFrom AND bucket_start < @dayTo");
        Parameter(command, "org", orgId);
        Parameter(command, "dimension", dimension);
        Parameter(command, "dayFrom", dayFrom);
        Parameter(command, "dayTo", dayTo);
        var n = 0;
        foreach (var (grain, buckets) in points)
        {
            buckets.Sort();
            var name = "b" + n++;
            if (database.IsPostgres)
            {
                // The array as the outer side of a nested loop: one primary-key probe per bucket (with
                // `bucket_start = ANY(array)` the planner may scan every bucket of the grain instead).
                sql.Append($" UNION ALL SELECT f.grain, f.bucket_start, f.value, {SumsOf("f.")} FROM unnest(@{name}) AS p (bucket) ")
                    .Append($"JOIN usage_facets f ON f.org_id = @org AND f.dimension = @dimension AND f.grain = {grain} AND f.bucket_start = p.bucket");
                Parameter(command, name, buckets.ToArray());
            }
            else
            {
                // json_each becomes a small ephemeral table that drives one primary-key seek per bucket.
                sql.Append($" UNION ALL SELECT grain, bucket_start, value, {Sums} FROM usage_facets WHERE org_id = @org AND dimension = @dimension AND grain = {grain} AND ")
                    .Append($"bucket_start IN (SELECT value FROM json_each(@{name}))");
                Parameter(command, name, "[" + string.Join(',', buckets.Select(b => b.ToString(CultureInfo.InvariantCulture))) + "]");
            }
        }

        command.CommandText = sql.ToString();

        // Values are folded by a small integer id: the same few model or member ids repeat in every bucket.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new List<string>();
        var sums = new Dictionary<long, UsageSums>();
        await using (var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            (long Grain, long Bucket) lastKey = (-1, -1);
            Target[] lastTargets = [];
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var key = (reader.GetInt64(0), reader.GetInt64(1));
                if (key != lastKey)
                {
                    lastKey = key;
                    lastTargets = targets.GetValueOrDefault(key) ?? [];
                }

                if (lastTargets.Length == 0)
                {
                    continue; // a day of the scanned range that every slot's pieces cancel out
                }

                var value = reader.GetString(2);
                if (!ids.TryGetValue(value, out var id))
                {
                    id = names.Count;
                    ids[value] = id;
                    names.Add(value);
                }

                var row = new UsageSums
                {
                    Requests = reader.GetInt64(3), Errors = reader.GetInt64(4), CostPico = reader.GetInt64(5), InputTokens = reader.GetInt64(6),
                    OutputTokens = reader.GetInt64(7), CachedTokens = reader.GetInt64(8), ReasoningTokens = reader.GetInt64(9),
                };
                foreach (var target in lastTargets)
                {
                    ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(sums, ((long)target.Slot << 32) | (uint)id, out _);
                    slot.Add(row, target.Coefficient);
                }
            }
        }

        foreach (var (key, s) in sums)
        {
            if (s.Requests == 0 && s.Errors == 0 && s.CostPico == 0 && s.InputTokens == 0 && s.OutputTokens == 0 && s.CachedTokens == 0 && s.ReasoningTokens == 0)
            {
                continue; // a day minus its parts can cancel to an empty row
            }

            result[((int)(key >> 32), names[(int)(key & 0xFFFF_FFFF)])] = s;
        }

        return result;
    }

    /// <summary>Each bucket the plan reads, with every slot it adds into and its net coefficient there.</summary>
    private static Dictionary<(long Grain, long Bucket), Target[]> Targets(FacetPlan plan)
    {
        var net = new Dictionary<(long Grain, long Bucket, int Slot), int>();
        foreach (var piece in plan.SlotPieces())
        {
            ref var c = ref CollectionsMarshal.GetValueRefOrAddDefault(net, (piece.Grain, piece.BucketStart, piece.Slot), out _);
            c += piece.Sign;
        }

        return net.Where(p => p.Value != 0)
            .GroupBy(p => (p.Key.Grain, p.Key.Bucket))
            .ToDictionary(g => g.Key, g => g.Select(p => new Target(p.Key.Slot, p.Value)).ToArray());
    }

    private static string SumsOf(string alias) => string.Join(", ", Sums.Split(", ").Select(c => alias + c));

    private static void Parameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
