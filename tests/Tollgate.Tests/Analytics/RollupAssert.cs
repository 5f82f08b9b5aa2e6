using System.Data.Common;
using Dapper;
using Tollgate.Analytics;

namespace Tollgate.Tests.Analytics;

/// <summary>A ledger row as the analytics tests read it.</summary>
internal sealed record LedgerFacts(
    string OrgId, string ProjectId, string MemberId, string KeyId, string Model, string Provider, string Status,
    long InputTokens, long CachedInputTokens, long OutputTokens, long ReasoningTokens, long CostPico, long EndedAt);

/// <summary>Compares the rollup tables with sums computed here from the ledger.</summary>
internal static class RollupAssert
{
    public static async Task<List<LedgerFacts>> LedgerAsync(DbConnection connection) =>
        [.. await connection.QueryAsync<LedgerFacts>(
            """
            SELECT org_id AS OrgId, project_id AS ProjectId, member_id AS MemberId, key_id AS KeyId, model, provider, status,
                   input_tokens AS InputTokens, cached_input_tokens AS CachedInputTokens, output_tokens AS OutputTokens,
                   reasoning_tokens AS ReasoningTokens, cost_pico AS CostPico, ended_at AS EndedAt
            FROM ledger
            """)];

    /// <summary>Every 15-minute row and every facet row equals the ledger's sums, and none is missing or extra.</summary>
    public static async Task EqualToLedgerAsync(DbConnection connection)
    {
        var ledger = await LedgerAsync(connection);
        var expected = ledger
            .GroupBy(r => $"{r.OrgId}|{r.EndedAt / Rollups.QuarterMs * Rollups.QuarterMs}|{r.MemberId}|{r.KeyId}|{r.ProjectId}|{r.Model}|{r.Provider}")
            .ToDictionary(g => g.Key, Sums, StringComparer.Ordinal);
        var actual = (await connection.QueryAsync(
                "SELECT org_id, bucket_start, member_id, key_id, project_id, model, provider, requests, errors, cost_pico, input_tokens, output_tokens, cached_tokens, reasoning_tokens FROM usage_rollups"))
            .Select(r => (IDictionary<string, object?>)r)
            .ToDictionary(
                r => $"{r["org_id"]}|{Convert.ToInt64(r["bucket_start"])}|{r["member_id"]}|{r["key_id"]}|{r["project_id"]}|{r["model"]}|{r["provider"]}",
                Columns, StringComparer.Ordinal);
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), actual.OrderBy(e => e.Key, StringComparer.Ordinal));

        var expectedFacets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var grain in Rollups.Grains)
        {
            foreach (var (dimension, value) in new (string, Func<LedgerFacts, string>)[]
            {
                (Rollups.Model, r => r.Model), (Rollups.Provider, r => r.Provider), (Rollups.Project, r => r.ProjectId),
                (Rollups.Member, r => r.MemberId), (Rollups.Key, r => r.KeyId),
            })
            {
                foreach (var g in ledger.GroupBy(r => $"{r.OrgId}|{dimension}|{grain}|{r.EndedAt / grain * grain}|{value(r)}"))
                {
                    expectedFacets[g.Key] = Sums(g);
                }
            }
        }

        var actualFacets = (await connection.QueryAsync(
                "SELECT org_id, dimension, grain, bucket_start, value, requests, errors, cost_pico, input_tokens, output_tokens, cached_tokens, reasoning_tokens FROM usage_facets"))
            .Select(r => (IDictionary<string, object?>)r)
            .ToDictionary(r => $"{r["org_id"]}|{r["dimension"]}|{Convert.ToInt64(r["grain"])}|{Convert.ToInt64(r["bucket_start"])}|{r["value"]}", Columns, StringComparer.Ordinal);
        Assert.Equal(expectedFacets.OrderBy(e => e.Key, StringComparer.Ordinal), actualFacets.OrderBy(e => e.Key, StringComparer.Ordinal));
    }

    private static string Sums(IEnumerable<LedgerFacts> rows)
    {
        var list = rows.ToList();
        return string.Join(',',
            list.Count, list.Count(r => r.Status is "upstream_error" or "failed"), list.Sum(r => r.CostPico), list.Sum(r => r.InputTokens),
            list.Sum(r => r.OutputTokens), list.Sum(r => r.CachedInputTokens), list.Sum(r => r.ReasoningTokens));
    }

    private static string Columns(IDictionary<string, object?> r) => string.Join(',',
        new[] { "requests", "errors", "cost_pico", "input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens" }.Select(c => Convert.ToInt64(r[c])));
}
