using System.Data.Common;
using Dapper;
using Tollgate.Budgets;
using Tollgate.Storage;

namespace Tollgate.Analytics;

/// <summary>
/// The rollup tables (<c>usage_rollups</c>, <c>usage_facets</c>): what they key on, the SQL that adds
/// to them, and the rebuild from the ledger. Rollups are derived data: the ledger writer adds the rows
/// it actually inserted in the same transaction (so a committed row is in the rollups and a repeated
/// row is never counted twice), and <see cref="RebuildAsync"/> recomputes them from the ledger.
/// </summary>
internal static class Rollups
{
    /// <summary>15 minutes: the finest grain, so every local midnight of every zone (offsets in :15 steps) is a bucket edge.</summary>
    public const long QuarterMs = 15 * 60 * 1000;

    public const long HourMs = 60 * 60 * 1000;

    /// <summary>Six hours: with it a local day's edge is a few buckets (see <see cref="FacetPlan"/>).</summary>
    public const long SixHourMs = 6 * HourMs;

    public const long DayMs = 24 * HourMs;

    /// <summary>The facet grains, finest first.</summary>
    public static readonly long[] Grains = [QuarterMs, HourMs, SixHourMs, DayMs];

    public const string Model = "model";
    public const string Provider = "provider";
    public const string Project = "project";
    public const string Member = "member";
    public const string Key = "key";

    /// <summary>The start of the bucket of width <paramref name="width"/> holding <paramref name="ms"/>.</summary>
    public static long Floor(long ms, long width) => ms - (((ms % width) + width) % width);

    /// <summary>An attempt that ended in an upstream error or a failure counts as an error.</summary>
    public static bool IsError(LedgerStatus status) => status is LedgerStatus.UpstreamError or LedgerStatus.Failed;

    private const string Sums = "requests, errors, cost_pico, input_tokens, output_tokens, cached_tokens, reasoning_tokens";

    private const string AddSums = """
        requests = {0}.requests + excluded.requests, errors = {0}.errors + excluded.errors,
            cost_pico = {0}.cost_pico + excluded.cost_pico, input_tokens = {0}.input_tokens + excluded.input_tokens,
            output_tokens = {0}.output_tokens + excluded.output_tokens, cached_tokens = {0}.cached_tokens + excluded.cached_tokens,
            reasoning_tokens = {0}.reasoning_tokens + excluded.reasoning_tokens
        """;

    /// <summary>The conflict clause that adds to an existing 15-minute row.</summary>
    public static readonly string RollupConflict =
        "ON CONFLICT (org_id, bucket_start, member_id, key_id, project_id, model, provider) DO UPDATE SET "
        + AddSums.Replace("{0}", "usage_rollups", StringComparison.Ordinal);

    /// <summary>The conflict clause that adds to an existing facet row.</summary>
    public static readonly string FacetConflict =
        "ON CONFLICT (org_id, dimension, grain, bucket_start, value) DO UPDATE SET "
        + AddSums.Replace("{0}", "usage_facets", StringComparison.Ordinal);

    /// <summary>Upsert of one 15-minute row, 14 positional parameters (SQLite <c>?NNN</c>).</summary>
    public static readonly string SqliteRollupUpsert =
        $"INSERT INTO usage_rollups (org_id, bucket_start, member_id, key_id, project_id, model, provider, {Sums}) "
        + "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) " + RollupConflict;

    /// <summary>Upsert of one facet row, 12 positional parameters.</summary>
    public static readonly string SqliteFacetUpsert =
        $"INSERT INTO usage_facets (org_id, dimension, grain, bucket_start, value, {Sums}) "
        + "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) " + FacetConflict;

    /// <summary>
    /// PostgreSQL: the tail of the ledger batch's one statement. <c>inserted</c> is the CTE of ledger rows
    /// the statement actually inserted (RETURNING their columns); this adds them to both tables, summed
    /// per key, in key order (every writer locks rollup rows in the same order).
    /// </summary>
    public static readonly string PostgresFromInserted = $"""
        rolled AS (
            INSERT INTO usage_rollups (org_id, bucket_start, member_id, key_id, project_id, model, provider, {Sums})
            SELECT org_id, ended_at / {QuarterMs} * {QuarterMs}, member_id, key_id, project_id, model, provider,
                   COUNT(*), COUNT(*) FILTER (WHERE status IN ('upstream_error', 'failed')), SUM(cost_pico), SUM(input_tokens),
                   SUM(output_tokens), SUM(cached_input_tokens), SUM(reasoning_tokens)
            FROM inserted GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
            {RollupConflict})
        INSERT INTO usage_facets (org_id, dimension, grain, bucket_start, value, {Sums})
        SELECT i.org_id, d.dimension, g.grain, i.ended_at / g.grain * g.grain, d.value,
               COUNT(*), COUNT(*) FILTER (WHERE i.status IN ('upstream_error', 'failed')), SUM(i.cost_pico), SUM(i.input_tokens),
               SUM(i.output_tokens), SUM(i.cached_input_tokens), SUM(i.reasoning_tokens)
        FROM inserted i
        CROSS JOIN (VALUES ({QuarterMs}::bigint), ({HourMs}::bigint), ({SixHourMs}::bigint), ({DayMs}::bigint)) g (grain)
        CROSS JOIN LATERAL (VALUES ('{Model}', i.model), ('{Provider}', i.provider), ('{Project}', i.project_id),
                                   ('{Member}', i.member_id), ('{Key}', i.key_id)) d (dimension, value)
        GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        {FacetConflict}
        """;

    /// <summary>The ledger columns <see cref="PostgresFromInserted"/> reads from <c>inserted</c>.</summary>
    public const string PostgresReturning =
        "request_id, attempt, org_id, project_id, member_id, key_id, model, provider, status, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, cost_pico, ended_at, credits_pico";

    /// <summary>
    /// Adds rows just inserted into the ledger inside the caller's transaction, through plain ADO.NET
    /// (metered events of other services, one row at a time; the ledger writer has faster paths), and
    /// moves their orgs' analytics epochs.
    /// </summary>
    public static async Task AddAsync(DbConnection connection, DbTransaction? tx, IEnumerable<LedgerEntry> inserted)
    {
        var batch = RollupBatch.Of(inserted);
        foreach (var (k, s) in batch.Rollups.OrderBy(r => r.Key.ToString(), StringComparer.Ordinal))
        {
            await connection.ExecuteAsync(
                $"INSERT INTO usage_rollups (org_id, bucket_start, member_id, key_id, project_id, model, provider, {Sums}) "
                + "VALUES (@OrgId, @BucketStart, @MemberId, @KeyId, @ProjectId, @Model, @Provider, @Requests, @Errors, @CostPico, @InputTokens, @OutputTokens, @CachedTokens, @ReasoningTokens) "
                + RollupConflict,
                new
                {
                    k.OrgId, k.BucketStart, k.MemberId, k.KeyId, k.ProjectId, k.Model, k.Provider,
                    s.Requests, s.Errors, s.CostPico, s.InputTokens, s.OutputTokens, s.CachedTokens, s.ReasoningTokens,
                },
                tx).ConfigureAwait(false);
        }

        foreach (var (k, s) in batch.Facets.OrderBy(r => r.Key.ToString(), StringComparer.Ordinal))
        {
            await connection.ExecuteAsync(
                $"INSERT INTO usage_facets (org_id, dimension, grain, bucket_start, value, {Sums}) "
                + "VALUES (@OrgId, @Dimension, @Grain, @BucketStart, @Value, @Requests, @Errors, @CostPico, @InputTokens, @OutputTokens, @CachedTokens, @ReasoningTokens) "
                + FacetConflict,
                new
                {
                    k.OrgId, k.Dimension, k.Grain, k.BucketStart, k.Value,
                    s.Requests, s.Errors, s.CostPico, s.InputTokens, s.OutputTokens, s.CachedTokens, s.ReasoningTokens,
                },
                tx).ConfigureAwait(false);
        }

        // These rows may be in closed days (a usage event's occurredAt can be any time): move the epoch.
        await AnalyticsEpochs.BumpAsync(connection, tx, batch.Rollups.Keys.Select(k => k.OrgId)).ConfigureAwait(false);
    }

    /// <summary>
    /// Recomputes both tables from the ledger in one transaction. The ledger is locked against inserts
    /// meanwhile (on SQLite the write transaction does that), so no row is missed or counted twice;
    /// gateway writes wait and then continue. Returns the number of 15-minute rows written.
    /// </summary>
    public static async Task<long> RebuildAsync(Database database, CancellationToken ct = default)
    {
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = await Database.BeginWriteAsync(connection, ct).ConfigureAwait(false);
        if (database.IsPostgres)
        {
            await connection.ExecuteAsync("LOCK TABLE ledger IN SHARE ROW EXCLUSIVE MODE", transaction: tx).ConfigureAwait(false);
        }

        await connection.ExecuteAsync("DELETE FROM usage_facets", transaction: tx).ConfigureAwait(false);
        await connection.ExecuteAsync("DELETE FROM usage_rollups", transaction: tx).ConfigureAwait(false);
        var rows = await connection.ExecuteAsync(
            $"""
            INSERT INTO usage_rollups (org_id, bucket_start, member_id, key_id, project_id, model, provider, {Sums})
            SELECT org_id, ended_at / {QuarterMs} * {QuarterMs}, member_id, key_id, project_id, model, provider,
                   COUNT(*), SUM(CASE WHEN status IN ('upstream_error', 'failed') THEN 1 ELSE 0 END), SUM(cost_pico), SUM(input_tokens),
                   SUM(output_tokens), SUM(cached_input_tokens), SUM(reasoning_tokens)
            FROM ledger GROUP BY 1, 2, 3, 4, 5, 6, 7
            """,
            transaction: tx, commandTimeout: 0).ConfigureAwait(false);
        foreach (var grain in Grains)
        {
            foreach (var (dimension, column) in new[] { (Model, "model"), (Provider, "provider"), (Project, "project_id"), (Member, "member_id"), (Key, "key_id") })
            {
                await connection.ExecuteAsync(
                    $"""
                    INSERT INTO usage_facets (org_id, dimension, grain, bucket_start, value, {Sums})
                    SELECT org_id, '{dimension}', {grain}, bucket_start / {grain} * {grain}, {column},
                           SUM(requests), SUM(errors), SUM(cost_pico), SUM(input_tokens), SUM(output_tokens), SUM(cached_tokens), SUM(reasoning_tokens)
                    FROM usage_rollups GROUP BY 1, 2, 3, 4, 5
                    """,
                    transaction: tx, commandTimeout: 0).ConfigureAwait(false);
            }
        }

        await AnalyticsEpochs.BumpAsync(connection, tx, [AnalyticsEpochs.AllOrgs]).ConfigureAwait(false); // every node reads every day again
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return rows;
    }
}
