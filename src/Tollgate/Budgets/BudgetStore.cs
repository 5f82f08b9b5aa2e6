using System.Data.Common;
using Dapper;
using Tollgate.Storage;

namespace Tollgate.Budgets;

/// <summary>Where a budget document is kept: a member, a key, or an org's default developer limits.</summary>
public enum BudgetScope
{
    /// <summary>A member's own caps.</summary>
    Member,

    /// <summary>An API key's caps.</summary>
    Key,

    /// <summary>The org's default developer limits.</summary>
    Default,
}

/// <summary>Budget configuration and spend sums in the database. The ledger is the truth for spend.</summary>
internal sealed class BudgetStore(Database database)
{
    /// <summary>The database (for its ledger commit lock).</summary>
    public Database Database => database;

    /// <summary>What admission needs to know of a member.</summary>
    public sealed record MemberFacts(string MemberId, string OrgId, string Role, DateTimeOffset RoleSince, bool Removed);

    private sealed record BudgetRow(
        string? spend_type, long? spend_limit_pico, long? spend_counting_from, long? spend_set_at,
        string? period_type, long? period_limit_pico, string? period_window, long? period_set_at,
        string? max_keys_type, long? max_keys_value, long? max_keys_set_at);

    private static string ScopeName(BudgetScope scope) => scope switch
    {
        BudgetScope.Member => "member",
        BudgetScope.Key => "key",
        _ => "default",
    };

    /// <summary>A member's role and since when they hold it; null for an unknown member.</summary>
    public async Task<MemberFacts?> FindMemberAsync(string memberId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await FindMemberAsync(connection, null, memberId);
    }

    /// <summary>As <see cref="FindMemberAsync(string, CancellationToken)"/>, on the caller's connection.</summary>
    public static async Task<MemberFacts?> FindMemberAsync(DbConnection connection, DbTransaction? tx, string memberId)
    {
        var row = await connection.QuerySingleOrDefaultAsync<(string id, string org_id, string role, long created_at, long? role_since, long? removed_at)>(
            "SELECT id, org_id, role, created_at, role_since, removed_at FROM members WHERE id = @memberId", new { memberId }, tx);
        return row.id is null
            ? null
            : new MemberFacts(row.id, row.org_id, row.role, DateTimeOffset.FromUnixTimeMilliseconds(row.role_since ?? row.created_at), row.removed_at is not null);
    }

    /// <summary>The configured document of a scope; <see cref="BudgetConfig.Empty"/> when nothing was ever set.</summary>
    public async Task<BudgetConfig> GetAsync(BudgetScope scope, string scopeId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await GetAsync(connection, null, scope, scopeId);
    }

    /// <summary>As <see cref="GetAsync(BudgetScope, string, CancellationToken)"/>, on the caller's connection.</summary>
    public static async Task<BudgetConfig> GetAsync(DbConnection connection, DbTransaction? tx, BudgetScope scope, string scopeId)
    {
        var row = await connection.QuerySingleOrDefaultAsync<BudgetRow>(
            """
            SELECT spend_type, spend_limit_pico, spend_counting_from, spend_set_at, period_type, period_limit_pico, period_window,
                   period_set_at, max_keys_type, max_keys_value, max_keys_set_at
            FROM budgets WHERE scope_type = @scope AND scope_id = @scopeId
            """,
            new { scope = ScopeName(scope), scopeId }, tx);
        return row is null ? BudgetConfig.Empty : FromRow(row);
    }

    /// <summary>
    /// Replaces a scope's document, applying the switching table to the spend budget's
    /// <c>countingFrom</c> inside the same write transaction as the read of the previous document.
    /// Returns the previous and the new document.
    /// </summary>
    public async Task<(BudgetConfig Before, BudgetConfig After)> PutAsync(
        BudgetScope scope, string scopeId, string orgId, BudgetDocument document, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginWriteAsync(connection, ct);
        var (before, after) = await PutAsync(connection, tx, scope, scopeId, orgId, document, now);
        await tx.CommitAsync(ct);
        return (before, after);
    }

    /// <summary>
    /// As <see cref="PutAsync(BudgetScope, string, string, BudgetDocument, DateTimeOffset, CancellationToken)"/>,
    /// inside the caller's write transaction (an accepted invite gives the new member its caps in the
    /// transaction that creates the member).
    /// </summary>
    public static async Task<(BudgetConfig Before, BudgetConfig After)> PutAsync(
        DbConnection connection, DbTransaction tx, BudgetScope scope, string scopeId, string orgId, BudgetDocument document, DateTimeOffset now)
    {
        var before = await GetAsync(connection, tx, scope, scopeId);
        var after = BudgetSwitching.Apply(before, document, now);
        await connection.ExecuteAsync(
            """
            INSERT INTO budgets (scope_type, scope_id, org_id, spend_type, spend_limit_pico, spend_counting_from, spend_set_at,
                period_type, period_limit_pico, period_window, period_set_at, max_keys_type, max_keys_value, max_keys_set_at, updated_at)
            VALUES (@scope, @scopeId, @orgId, @SpendType, @SpendLimit, @CountingFrom, @SpendSetAt,
                @PeriodType, @PeriodLimit, @PeriodWindow, @PeriodSetAt, @MaxKeysType, @MaxKeysValue, @MaxKeysSetAt, @now)
            ON CONFLICT (scope_type, scope_id) DO UPDATE SET
                spend_type = excluded.spend_type, spend_limit_pico = excluded.spend_limit_pico,
                spend_counting_from = excluded.spend_counting_from, spend_set_at = excluded.spend_set_at,
                period_type = excluded.period_type, period_limit_pico = excluded.period_limit_pico,
                period_window = excluded.period_window, period_set_at = excluded.period_set_at,
                max_keys_type = excluded.max_keys_type, max_keys_value = excluded.max_keys_value,
                max_keys_set_at = excluded.max_keys_set_at, updated_at = excluded.updated_at
            """,
            new
            {
                scope = ScopeName(scope),
                scopeId,
                orgId,
                SpendType = after.Spend is null ? null : after.Spend.Type.ToString().ToLowerInvariant(),
                SpendLimit = after.Spend is { Type: not SpendType.Unlimited } ? after.Spend.LimitPico : (long?)null,
                CountingFrom = after.Spend?.CountingFrom?.ToUnixTimeMilliseconds(),
                SpendSetAt = after.SpendSetAt?.ToUnixTimeMilliseconds(),
                PeriodType = after.Period is null ? null : after.Period.Unlimited ? "unlimited" : "rolling",
                PeriodLimit = after.Period is { Unlimited: false } ? after.Period.LimitPico : (long?)null,
                PeriodWindow = after.Period is { Unlimited: false } ? BudgetWindows.Name(after.Period.Window) : null,
                PeriodSetAt = after.PeriodSetAt?.ToUnixTimeMilliseconds(),
                MaxKeysType = after.MaxActiveKeys is null ? null : after.MaxActiveKeys.Unlimited ? "unlimited" : "limit",
                MaxKeysValue = after.MaxActiveKeys is { Unlimited: false } ? after.MaxActiveKeys.Value : (long?)null,
                MaxKeysSetAt = after.MaxKeysSetAt?.ToUnixTimeMilliseconds(),
                now = now.ToUnixTimeMilliseconds(),
            },
            tx);
        return (before, after);
    }

    /// <summary>Spend of a member (all services) or a key (its own) settled at or after <paramref name="fromMs"/>.</summary>
    public static async Task<long> SumAsync(DbConnection connection, BudgetScope scope, string id, long? fromMs)
    {
        return await connection.ExecuteScalarAsync<long>(
            $"SELECT COALESCE(SUM(cost_pico), 0) FROM ledger WHERE {ScopeFilter(scope)} AND ended_at >= @from",
            new { id, from = fromMs ?? long.MinValue });
    }

    /// <summary>Spend per UTC-aligned bucket of <paramref name="widthMs"/> settled after <paramref name="sinceMs"/>.</summary>
    public static async Task<IEnumerable<(long, long)>> BucketsAsync(DbConnection connection, BudgetScope scope, string id, long widthMs, long sinceMs)
    {
        var rows = await connection.QueryAsync<(long Bucket, long Pico)>(
            $"""
            SELECT (ended_at / @widthMs) * @widthMs AS bucket, SUM(cost_pico) AS pico
            FROM ledger WHERE {ScopeFilter(scope)} AND ended_at >= @sinceMs
            GROUP BY 1
            """,
            new { id, widthMs, sinceMs });
        return rows.Select(r => (r.Bucket, r.Pico));
    }

    /// <summary>
    /// The rows a scope counts: all of a member's spend (every service, deleted keys included), or a
    /// key's gateway spend (other services never count toward a key's budget).
    /// </summary>
    public static string ScopeFilter(BudgetScope scope) => scope == BudgetScope.Key ? "key_id = @id AND service = 'llm'" : "member_id = @id";

    /// <summary>Opens a connection for a load.</summary>
    public ValueTask<DbConnection> OpenAsync(CancellationToken ct) => database.OpenAsync(ct);

    /// <summary>Active keys of a member now: not disabled, not deleted, not expired.</summary>
    public static Task<long> ActiveKeysAsync(DbConnection connection, DbTransaction? tx, string memberId, long nowMs) =>
        connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM api_keys WHERE member_id = @memberId AND status = 'active' AND (expires_at IS NULL OR expires_at > @nowMs)",
            new { memberId, nowMs }, tx);

    /// <summary>Active keys now per member of an org (<see cref="ActiveKeysAsync"/> for every member at once); members with none are left out.</summary>
    public static async Task<Dictionary<string, long>> ActiveKeysOfOrgAsync(DbConnection connection, string orgId, long nowMs)
    {
        var rows = await connection.QueryAsync<(string MemberId, long Count)>(
            "SELECT member_id, COUNT(*) FROM api_keys WHERE org_id = @orgId AND status = 'active' AND (expires_at IS NULL OR expires_at > @nowMs) GROUP BY member_id",
            new { orgId, nowMs });
        return rows.ToDictionary(r => r.MemberId, r => r.Count, StringComparer.Ordinal);
    }

    private static BudgetConfig FromRow(BudgetRow row)
    {
        static DateTimeOffset? At(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;

        SpendBudget? spend = row.spend_type switch
        {
            "unlimited" => new SpendBudget(SpendType.Unlimited, 0, null),
            "fixed" => new SpendBudget(SpendType.Fixed, row.spend_limit_pico ?? 0, At(row.spend_counting_from)),
            "monthly" => new SpendBudget(SpendType.Monthly, row.spend_limit_pico ?? 0, At(row.spend_counting_from)),
            _ => null,
        };
        PeriodBudget? period = row.period_type switch
        {
            "unlimited" => new PeriodBudget(true, 0, RollingWindow.Day),
            "rolling" when BudgetWindows.TryParse(row.period_window, out var w) => new PeriodBudget(false, row.period_limit_pico ?? 0, w),
            _ => null,
        };
        KeyCountBudget? keys = row.max_keys_type switch
        {
            "unlimited" => new KeyCountBudget(true, 0),
            "limit" => new KeyCountBudget(false, (int)(row.max_keys_value ?? 0)),
            _ => null,
        };
        return new BudgetConfig(spend, At(row.spend_set_at), period, At(row.period_set_at), keys, At(row.max_keys_set_at));
    }
}
