using System.Data.Common;
using Dapper;

namespace Tollgate.Analytics;

/// <summary>
/// The per-org counter (<c>analytics_epochs</c>) that says whether the rollups of closed days may
/// have changed. Writers move it, in the transaction that changes them, whenever they add to a
/// bucket before <see cref="ClosedBefore"/> (yesterday 00:00 UTC, by the writer's clock); a
/// rebuild moves the row of org <c>'*'</c>, which every org's reading includes. Readers keep only
/// slots that end before <see cref="CacheableBefore"/> (a day earlier than that: the margin for
/// nodes whose clocks differ), under the value they read before reading the slots.
/// </summary>
internal static class AnalyticsEpochs
{
    /// <summary>The org id whose counter every org's reading includes (moved by a rebuild).</summary>
    public const string AllOrgs = "*";

    /// <summary>Moves one org's counter (<c>@orgId</c>).</summary>
    public const string BumpSql =
        "INSERT INTO analytics_epochs (org_id, epoch) VALUES (@orgId, 1) ON CONFLICT (org_id) DO UPDATE SET epoch = analytics_epochs.epoch + 1";

    /// <summary>A write into a bucket before this instant (UTC ms) moves its org's counter.</summary>
    public static long ClosedBefore(DateTimeOffset now) => Rollups.Floor(now.ToUnixTimeMilliseconds(), Rollups.DayMs) - Rollups.DayMs;

    /// <summary>A slot that ends at or before this instant (UTC ms) may be kept.</summary>
    public static long CacheableBefore(DateTimeOffset now) => ClosedBefore(now) - Rollups.DayMs;

    /// <summary>Moves the counter of each org, inside the caller's transaction.</summary>
    public static async Task BumpAsync(DbConnection connection, DbTransaction? tx, IEnumerable<string> orgIds)
    {
        // In id order, so two writers that move the same counters lock their rows in the same order.
        foreach (var orgId in orgIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            await connection.ExecuteAsync(BumpSql, new { orgId }, tx).ConfigureAwait(false);
        }
    }

    /// <summary>The org's counter (with the rebuild counter): 0 until anything moved either.</summary>
    public static Task<long> ReadAsync(DbConnection connection, string orgId, CancellationToken ct) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT CAST(COALESCE(SUM(epoch), 0) AS BIGINT) FROM analytics_epochs WHERE org_id IN (@orgId, @all)",
            new { orgId, all = AllOrgs }, cancellationToken: ct));

    /// <summary>The orgs of <paramref name="entries"/> with a row ended before <see cref="ClosedBefore"/>.</summary>
    public static List<string> LateOrgs(IEnumerable<Tollgate.Budgets.LedgerEntry> entries, DateTimeOffset now)
    {
        var closed = ClosedBefore(now);
        return [.. entries.Where(e => e.EndedAt.ToUnixTimeMilliseconds() < closed).Select(e => e.OrgId).Distinct(StringComparer.Ordinal)];
    }
}
