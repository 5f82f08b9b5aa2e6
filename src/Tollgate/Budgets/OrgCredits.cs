using System.Data.Common;
using Dapper;

namespace Tollgate.Budgets;

/// <summary>
/// An org's prepaid credits as stored: <c>org_credits</c> keeps what was credited (completed
/// transactions) and what was charged (ledger rows with <c>credits_pico</c>); the balance is their
/// difference. Every writer changes the row in the same database transaction as the row that says
/// why, and on PostgreSQL under the org's credits lock, taken after any member lock (members sorted,
/// then orgs sorted), never before one. A missing row is 0 and 0.
/// </summary>
internal static class OrgCredits
{
    /// <summary>The billing mode in which requests consume the org's credits.</summary>
    public const string CreditsMode = "credits";

    /// <summary>
    /// First key of the org's credits lock. The two-int form of PostgreSQL's advisory locks is a key
    /// space of its own, so it never meets the member locks (one bigint: <c>hashtext(member id)</c>).
    /// </summary>
    public const string LockSpace = "1869768547"; // 0x6F726763, "orgc"

    /// <summary>Takes the org's credits lock until the end of the transaction (PostgreSQL); <c>@orgId</c>.</summary>
    public const string LockSql = "SELECT pg_advisory_xact_lock(" + LockSpace + ", hashtext(@orgId))";

    /// <summary>Adds <c>@pico</c> to the org's charged credits; <c>@orgId</c>.</summary>
    public const string ChargeSql = """
        INSERT INTO org_credits (org_id, credited_pico, charged_pico) VALUES (@orgId, 0, @pico)
        ON CONFLICT (org_id) DO UPDATE SET charged_pico = org_credits.charged_pico + excluded.charged_pico
        """;

    /// <summary>Adds <c>@pico</c> (negative to take back) to the org's credited amount; <c>@orgId</c>.</summary>
    public const string CreditSql = """
        INSERT INTO org_credits (org_id, credited_pico, charged_pico) VALUES (@orgId, @pico, 0)
        ON CONFLICT (org_id) DO UPDATE SET credited_pico = org_credits.credited_pico + excluded.credited_pico
        """;

    /// <summary>Credited and charged pico-dollars of the org (0 and 0 when it never had credits).</summary>
    public static async Task<(long CreditedPico, long ChargedPico)> ReadAsync(DbConnection connection, DbTransaction? tx, string orgId)
    {
        var row = await connection.QuerySingleOrDefaultAsync<(long, long)?>(
            "SELECT credited_pico, charged_pico FROM org_credits WHERE org_id = @orgId", new { orgId }, tx).ConfigureAwait(false);
        return row ?? (0, 0);
    }

    /// <summary>Takes the org's credits lock (PostgreSQL only; SQLite's one writer already serializes).</summary>
    public static Task LockAsync(DbConnection connection, DbTransaction tx, string orgId) =>
        connection is Npgsql.NpgsqlConnection ? connection.ExecuteAsync(LockSql, new { orgId }, tx) : Task.CompletedTask;

    /// <summary>Adds to the org's charged credits inside the caller's transaction.</summary>
    public static Task ChargeAsync(DbConnection connection, DbTransaction? tx, string orgId, long pico) =>
        connection.ExecuteAsync(ChargeSql, new { orgId, pico }, tx);

    /// <summary>Adds to (or, negative, takes from) the org's credited amount inside the caller's transaction.</summary>
    public static Task CreditAsync(DbConnection connection, DbTransaction? tx, string orgId, long pico) =>
        connection.ExecuteAsync(CreditSql, new { orgId, pico }, tx);

    /// <summary>The org's billing mode; null for an unknown org.</summary>
    public static Task<string?> BillingModeAsync(DbConnection connection, string orgId) =>
        connection.QuerySingleOrDefaultAsync<string?>("SELECT billing_mode FROM orgs WHERE id = @orgId", new { orgId });
}
