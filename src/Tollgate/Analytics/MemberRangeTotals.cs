using System.Runtime.InteropServices;
using Dapper;
using Tollgate.Storage;

namespace Tollgate.Analytics;

/// <summary>
/// Per-member sums of the ledger rows ended in <c>[from, to)</c> for any two instants (the member
/// list's usage range is instants, not local days): the whole 15-minute buckets inside the range
/// from the member facets (<see cref="UsageQueries"/>: closed days from memory), and the partial buckets at either edge (under 15 minutes each) from the
/// ledger itself through its <c>(org_id, ended_at)</c> index. Exact like the ledger, and it reads a
/// few thousand rows where summing a month of a busy org's ledger read hundreds of thousands.
/// </summary>
internal static class MemberRangeTotals
{
    /// <summary>The sums per member id; members without usage in the range are absent.</summary>
    public static async Task<Dictionary<string, UsageSums>> ReadAsync(Database database, UsageQueries queries, string orgId, long from, long to, CancellationToken ct)
    {
        var result = new Dictionary<string, UsageSums>(StringComparer.Ordinal);
        if (to <= from)
        {
            return result;
        }

        var inner = (From: Ceiling(from), To: Rollups.Floor(to, Rollups.QuarterMs));
        var edges = new List<(long From, long To)>();
        if (inner.To > inner.From)
        {
            foreach (var ((_, member), sums) in await queries.SumAsync(orgId, [inner.From, inner.To], Rollups.Member, default, ct).ConfigureAwait(false))
            {
                Add(result, member, sums);
            }

            edges.Add((from, inner.From));
            edges.Add((inner.To, to));
        }
        else
        {
            edges.Add((from, to)); // within two buckets: the ledger alone
        }

        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        foreach (var (a, b) in edges.Where(e => e.To > e.From))
        {
            var rows = await connection.QueryAsync<(string MemberId, long Requests, long Errors, long Cost, long Input, long Output, long Cached, long Reasoning)>(
                new CommandDefinition(
                    """
                    SELECT member_id, COUNT(*), CAST(SUM(CASE WHEN status IN ('upstream_error', 'failed') THEN 1 ELSE 0 END) AS BIGINT),
                           CAST(SUM(cost_pico) AS BIGINT), CAST(SUM(input_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT),
                           CAST(SUM(cached_input_tokens) AS BIGINT), CAST(SUM(reasoning_tokens) AS BIGINT)
                    FROM ledger
                    WHERE org_id = @orgId AND ended_at >= @a AND ended_at < @b
                    GROUP BY member_id
                    """,
                    new { orgId, a, b },
                    cancellationToken: ct)).ConfigureAwait(false);
            foreach (var r in rows)
            {
                Add(result, r.MemberId, new UsageSums
                {
                    Requests = r.Requests, Errors = r.Errors, CostPico = r.Cost, InputTokens = r.Input, OutputTokens = r.Output,
                    CachedTokens = r.Cached, ReasoningTokens = r.Reasoning,
                });
            }
        }

        return result;
    }

    private static long Ceiling(long ms) => Rollups.Floor(ms + Rollups.QuarterMs - 1, Rollups.QuarterMs);

    private static void Add(Dictionary<string, UsageSums> result, string member, in UsageSums sums)
    {
        ref var total = ref CollectionsMarshal.GetValueRefOrAddDefault(result, member, out _);
        total.Add(sums);
    }
}
