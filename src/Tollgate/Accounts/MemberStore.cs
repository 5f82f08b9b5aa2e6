using System.Data.Common;
using Dapper;
using Tollgate.Audit;
using Tollgate.Storage;

namespace Tollgate.Accounts;

/// <summary>
/// Members of an org: listing with their project grants, role and grant changes, removal, and
/// per-member usage. Changes run in one write transaction that also writes the audit entry; on
/// PostgreSQL the org row is locked first, so "is this the last owner?" cannot race another change.
/// Every change that can stop a member's keys working invalidates them in the key cache after commit.
/// </summary>
internal sealed class MemberStore(Database database, TimeProvider time, ApiKeyAuthenticator keys, Tollgate.Analytics.UsageQueries usageQueries)
{
    /// <summary>A current member with their user's name and email and their granted (live) projects.</summary>
    public sealed record MemberDetail(string Id, string OrgId, string UserId, string Name, string Email, string Role, long CreatedAt, long? RoleSince)
    {
        /// <summary>Granted live projects, by id.</summary>
        public IReadOnlyList<string> ProjectIds { get; init; } = [];
    }

    /// <summary>Outcome of a change to a member.</summary>
    public enum ChangeOutcome
    {
        /// <summary>Done.</summary>
        Done,

        /// <summary>No such current member in the org.</summary>
        NotFound,

        /// <summary>The change touches an owner (or makes one) and the caller may not manage owners.</summary>
        OwnersOnly,

        /// <summary>The change would leave the org without an owner.</summary>
        LastOwner,
    }

    /// <summary>Usage of one member over a time range, and their active keys now.</summary>
    public sealed record MemberUsage(long CostPico, long InputTokens, long OutputTokens, long Requests, long ActiveKeys);

    private const string MemberColumns =
        "m.id, m.org_id AS OrgId, m.user_id AS UserId, u.name, u.email, m.role, m.created_at AS CreatedAt, m.role_since AS RoleSince";

    /// <summary>Current members of the org (only <paramref name="onlyMemberId"/> when set), by id; fetches <c>Limit + 1</c> rows.</summary>
    public async Task<IReadOnlyList<MemberDetail>> ListAsync(string orgId, string? onlyMemberId, Paging paging, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = (await connection.QueryAsync<MemberDetail>(new CommandDefinition(
            $"""
            SELECT {MemberColumns}
            FROM members m JOIN users u ON u.id = m.user_id
            WHERE m.org_id = @orgId AND m.removed_at IS NULL
              {(onlyMemberId is null ? "" : "AND m.id = @onlyMemberId")}
              {(paging.Cursor is null ? "" : "AND m.id > @cursor")}
            ORDER BY m.id
            LIMIT @take
            """,
            new { orgId, onlyMemberId, cursor = paging.Cursor, take = paging.Limit + 1 },
            cancellationToken: ct))).AsList();
        return await WithGrantsAsync(connection, null, orgId, rows, ct);
    }

    /// <summary>The current member of the org, or null (also for another org's member).</summary>
    public async Task<MemberDetail?> FindAsync(string orgId, string memberId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await FindAsync(connection, null, orgId, memberId, ct);
    }

    /// <summary>
    /// Changes a member's role and/or project grants (null: unchanged). A role change sets
    /// <c>role_since</c>. Admins (<paramref name="mayManageOwners"/> false) may not touch owners or make
    /// owners; the last owner may not be demoted. Writes <c>member.role.update</c> and
    /// <c>member.projects.update</c> audit entries in the same transaction.
    /// </summary>
    public async Task<(ChangeOutcome Outcome, MemberDetail? Member)> UpdateAsync(
        string orgId, string memberId, string? role, IReadOnlyList<string>? projectIds, bool mayManageOwners, RequestAudit audit, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await BeginOrgWriteAsync(connection, orgId, ct);
        var before = await FindAsync(connection, tx, orgId, memberId, ct);
        if (before is null)
        {
            return (ChangeOutcome.NotFound, null);
        }

        var roleChanges = role is not null && role != before.Role;
        if (!mayManageOwners && (before.Role == OrgRoles.Owner || role == OrgRoles.Owner))
        {
            return (ChangeOutcome.OwnersOnly, null);
        }

        if (roleChanges && before.Role == OrgRoles.Owner && await OwnerCountAsync(connection, tx, orgId, ct) <= 1)
        {
            return (ChangeOutcome.LastOwner, null);
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (roleChanges)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE members SET role = @role, role_since = @now WHERE id = @memberId",
                new { role, now, memberId }, tx, cancellationToken: ct));
            await audit.RecordAsync(connection, tx, "member.role.update", new AuditTarget("member", memberId),
                new { role = before.Role }, new { role }, ct);
        }

        var grantsChange = projectIds is not null && !new HashSet<string>(projectIds, StringComparer.Ordinal).SetEquals(before.ProjectIds);
        if (grantsChange)
        {
            await ReplaceGrantsAsync(connection, tx, memberId, projectIds!, now, ct);
            await audit.RecordAsync(connection, tx, "member.projects.update", new AuditTarget("member", memberId),
                new { projectIds = before.ProjectIds }, new { projectIds = projectIds!.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray() }, ct);
        }

        var after = await FindAsync(connection, tx, orgId, memberId, ct);
        await tx.CommitAsync(ct);

        // After the commit, so that a key lookup racing the change cannot re-cache the old grants.
        if (roleChanges || grantsChange)
        {
            keys.InvalidateMember(memberId);
        }

        return (ChangeOutcome.Done, after);
    }

    /// <summary>
    /// Removes a member: the membership ends and all their keys are disabled, at once. Admins may not
    /// remove owners; the last owner may not be removed. Writes <c>member.remove</c>.
    /// </summary>
    public async Task<ChangeOutcome> RemoveAsync(string orgId, string memberId, bool mayManageOwners, RequestAudit audit, CancellationToken ct)
    {
        await using (var connection = await database.OpenAsync(ct))
        {
            await using var tx = await BeginOrgWriteAsync(connection, orgId, ct);
            var before = await FindAsync(connection, tx, orgId, memberId, ct);
            if (before is null)
            {
                return ChangeOutcome.NotFound;
            }

            if (before.Role == OrgRoles.Owner && !mayManageOwners)
            {
                return ChangeOutcome.OwnersOnly;
            }

            if (before.Role == OrgRoles.Owner && await OwnerCountAsync(connection, tx, orgId, ct) <= 1)
            {
                return ChangeOutcome.LastOwner;
            }

            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE members SET removed_at = @now WHERE id = @memberId", new { now, memberId }, tx, cancellationToken: ct));
            var disabled = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE api_keys SET status = 'disabled', updated_at = @now WHERE member_id = @memberId AND status = 'active'",
                new { now, memberId }, tx, cancellationToken: ct));
            await audit.RecordAsync(connection, tx, "member.remove", new AuditTarget("member", memberId),
                new { before.UserId, before.Email, before.Role, before.ProjectIds }, new { keysDisabled = disabled }, ct);
            await tx.CommitAsync(ct);
        }

        keys.InvalidateMember(memberId);
        return ChangeOutcome.Done;
    }

    /// <summary>
    /// Per-member usage of requests ended in [<paramref name="from"/>, <paramref name="to"/>) (Unix ms),
    /// as exact as the ledger (<see cref="Tollgate.Analytics.MemberRangeTotals"/>: rollups for the whole
    /// 15-minute buckets, the ledger for the edges), and each member's active keys now; members with
    /// neither usage nor active keys are absent.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, MemberUsage>> UsageAsync(string orgId, long from, long to, CancellationToken ct)
    {
        var spend = await Tollgate.Analytics.MemberRangeTotals.ReadAsync(database, usageQueries, orgId, from, to, ct);
        await using var connection = await database.OpenAsync(ct);
        var active = await connection.QueryAsync<(string MemberId, long Count)>(new CommandDefinition(
            """
            SELECT member_id, COUNT(*)
            FROM api_keys
            WHERE org_id = @orgId AND status = 'active' AND (expires_at IS NULL OR expires_at > @now)
            GROUP BY member_id
            """,
            new { orgId, now = time.GetUtcNow().ToUnixTimeMilliseconds() },
            cancellationToken: ct));
        var activeByMember = active.ToDictionary(a => a.MemberId, a => a.Count, StringComparer.Ordinal);
        var usage = spend.ToDictionary(
            s => s.Key,
            s => new MemberUsage(s.Value.CostPico, s.Value.InputTokens, s.Value.OutputTokens, s.Value.Requests, activeByMember.GetValueOrDefault(s.Key)),
            StringComparer.Ordinal);
        foreach (var (memberId, count) in activeByMember)
        {
            usage.TryAdd(memberId, new MemberUsage(0, 0, 0, 0, count));
        }

        return usage;
    }

    /// <summary>
    /// Begins a write transaction for a change to the org's members. On PostgreSQL it locks the org
    /// row, so owner counts and grants read inside stay true until commit; SQLite's write transaction
    /// already excludes every other writer.
    /// </summary>
    public async Task<DbTransaction> BeginOrgWriteAsync(DbConnection connection, string orgId, CancellationToken ct)
    {
        var tx = await Database.BeginWriteAsync(connection, ct);
        if (database.IsPostgres)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT id FROM orgs WHERE id = @orgId FOR UPDATE", new { orgId }, tx, cancellationToken: ct));
        }

        return tx;
    }

    /// <summary>Replaces the member's grants with <paramref name="projectIds"/> (already checked to be live projects of the org).</summary>
    public static async Task ReplaceGrantsAsync(DbConnection connection, DbTransaction tx, string memberId, IReadOnlyList<string> projectIds, long now, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM project_grants WHERE member_id = @memberId", new { memberId }, tx, cancellationToken: ct));
        foreach (var projectId in projectIds.Distinct(StringComparer.Ordinal))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO project_grants (member_id, project_id, granted_at) VALUES (@memberId, @projectId, @now)",
                new { memberId, projectId, now }, tx, cancellationToken: ct));
        }
    }

    private static async Task<MemberDetail?> FindAsync(DbConnection connection, DbTransaction? tx, string orgId, string memberId, CancellationToken ct)
    {
        var row = await connection.QuerySingleOrDefaultAsync<MemberDetail>(new CommandDefinition(
            $"""
            SELECT {MemberColumns}
            FROM members m JOIN users u ON u.id = m.user_id
            WHERE m.id = @memberId AND m.org_id = @orgId AND m.removed_at IS NULL
            """,
            new { orgId, memberId }, tx, cancellationToken: ct));
        return row is null ? null : (await WithGrantsAsync(connection, tx, orgId, [row], ct))[0];
    }

    private static async Task<IReadOnlyList<MemberDetail>> WithGrantsAsync(
        DbConnection connection, DbTransaction? tx, string orgId, List<MemberDetail> members, CancellationToken ct)
    {
        if (members.Count == 0)
        {
            return members;
        }

        var grants = await connection.QueryAsync<(string MemberId, string ProjectId)>(new CommandDefinition(
            $"""
            SELECT g.member_id, g.project_id
            FROM project_grants g JOIN projects p ON p.id = g.project_id
            WHERE p.org_id = @orgId AND p.deleted_at IS NULL AND g.member_id {SqlLists.In(connection, "memberIds")}
            ORDER BY g.project_id
            """,
            new { orgId, memberIds = members.Select(m => m.Id).ToArray() }, tx, cancellationToken: ct));
        var byMember = grants.GroupBy(g => g.MemberId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. g.Select(x => x.ProjectId)], StringComparer.Ordinal);
        return [.. members.Select(m => byMember.TryGetValue(m.Id, out var ids) ? m with { ProjectIds = ids } : m)];
    }

    private static Task<long> OwnerCountAsync(DbConnection connection, DbTransaction tx, string orgId, CancellationToken ct) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM members WHERE org_id = @orgId AND role = 'owner' AND removed_at IS NULL",
            new { orgId }, tx, cancellationToken: ct));
}
