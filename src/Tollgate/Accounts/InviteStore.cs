using System.Text.Json;
using Dapper;
using Tollgate.Audit;
using Tollgate.Budgets;
using Tollgate.Hosting;
using Tollgate.Storage;

namespace Tollgate.Accounts;

/// <summary>
/// Invites: an owner or admin invites an email address with a role and projects; the user signed in
/// with that email accepts with the token (shown once, stored as a hash) and becomes a member, with
/// the caps the invite carries (if any) applied in the same transaction: a contractor is never a
/// member without their caps, not even for one request.
/// </summary>
internal sealed class InviteStore(Database database, TimeProvider time, MemberStore members, AuditLog auditLog)
{
    /// <summary>How long an invite can be accepted.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    /// <summary>
    /// An invite row; <see cref="ProjectIdsJson"/> is a JSON array, <see cref="BudgetDocumentJson"/> the caps'
    /// budget document (null: none).
    /// </summary>
    public sealed record InviteRow(
        string Id, string OrgId, string Email, string Role, string ProjectIdsJson, string TokenHash, string InvitedBy,
        long CreatedAt, long ExpiresAt, long? AcceptedAt, string? AcceptedMemberId, long? RevokedAt, string? BudgetDocumentJson)
    {
        /// <summary>The projects granted on acceptance.</summary>
        public IReadOnlyList<string> ProjectIds => JsonSerializer.Deserialize<string[]>(ProjectIdsJson) ?? [];

        /// <summary>The caps given to the member on acceptance; null when the invite carries none.</summary>
        public BudgetDocument? Budget => ParseBudget(BudgetDocumentJson);

        /// <summary>pending, accepted, revoked or expired, as of <paramref name="nowMs"/>.</summary>
        public string StatusAt(long nowMs) =>
            AcceptedAt is not null ? "accepted" : RevokedAt is not null ? "revoked" : ExpiresAt <= nowMs ? "expired" : "pending";
    }

    /// <summary>Outcome of accepting an invite.</summary>
    public enum AcceptOutcome
    {
        /// <summary>The user is now a member.</summary>
        Accepted,

        /// <summary>No invite has this token.</summary>
        NotFound,

        /// <summary>The invite is for another email address.</summary>
        WrongEmail,

        /// <summary>The invite was revoked.</summary>
        Revoked,

        /// <summary>The invite has expired.</summary>
        Expired,

        /// <summary>The invite was already accepted.</summary>
        AlreadyAccepted,

        /// <summary>The user is already a member of the org.</summary>
        AlreadyMember,
    }

    private const string Columns =
        "id, org_id AS OrgId, email, role, project_ids AS ProjectIdsJson, token_hash AS TokenHash, invited_by AS InvitedBy, " +
        "created_at AS CreatedAt, expires_at AS ExpiresAt, accepted_at AS AcceptedAt, accepted_member_id AS AcceptedMemberId, revoked_at AS RevokedAt, " +
        "budget AS BudgetDocumentJson";

    // Stored only after the document was validated, so it always parses; anything else is a bug, not a cap to drop.
    private static BudgetDocument? ParseBudget(string? json)
    {
        if (json is null)
        {
            return null;
        }

        using var parsed = JsonDocument.Parse(json);
        return BudgetDocument.Parse(parsed.RootElement, keyBudget: false).Document
            ?? throw new InvalidOperationException("An invite holds a budget document that does not parse.");
    }

    /// <summary>True when a user with this email is a current member of the org.</summary>
    public async Task<bool> IsMemberAsync(string orgId, string email, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            SELECT COUNT(*) FROM members m JOIN users u ON u.id = m.user_id
            WHERE m.org_id = @orgId AND u.email = @email AND m.removed_at IS NULL
            """,
            new { orgId, email }, cancellationToken: ct)) > 0;
    }

    /// <summary>Creates an invite and writes <c>invite.create</c>; returns it and its token, which exists only in this answer.</summary>
    public async Task<(InviteRow Invite, string Token)> CreateAsync(
        string orgId, string email, string role, IReadOnlyList<string> projectIds, BudgetDocument? budget, RequestAudit audit, CancellationToken ct)
    {
        var token = Secrets.NewInviteToken();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var ids = projectIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var invite = new InviteRow(Ids.New("inv", time), orgId, email, role, JsonSerializer.Serialize(ids), Secrets.Hash(token),
            audit.Actor.MemberId ?? "", now, now + (long)Lifetime.TotalMilliseconds, null, null, null,
            budget is null ? null : JsonSerializer.Serialize(BudgetJson.Request(budget)));
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginWriteAsync(connection, ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO invites (id, org_id, email, role, project_ids, token_hash, invited_by, created_at, expires_at, accepted_at, accepted_member_id, revoked_at, budget)
            VALUES (@Id, @OrgId, @Email, @Role, @ProjectIdsJson, @TokenHash, @InvitedBy, @CreatedAt, @ExpiresAt, NULL, NULL, NULL, @BudgetDocumentJson)
            """,
            invite, tx, cancellationToken: ct));
        await audit.RecordAsync(connection, tx, "invite.create", new AuditTarget("invite", invite.Id), null,
            new { email, role, projectIds = ids, expiresAt = ApiTime.FromUnixMs(invite.ExpiresAt), budget = budget is null ? null : BudgetJson.Request(budget) }, ct);
        await tx.CommitAsync(ct);
        return (invite, token);
    }

    /// <summary>The org's invites, newest first by id; fetches <c>Limit + 1</c> rows.</summary>
    public async Task<IReadOnlyList<InviteRow>> ListAsync(string orgId, Paging paging, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<InviteRow>(new CommandDefinition(
            $"""
            SELECT {Columns} FROM invites
            WHERE org_id = @orgId {(paging.Cursor is null ? "" : "AND id > @cursor")}
            ORDER BY id LIMIT @take
            """,
            new { orgId, cursor = paging.Cursor, take = paging.Limit + 1 }, cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>The org's invite, or null (also for another org's).</summary>
    public async Task<InviteRow?> FindAsync(string orgId, string inviteId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<InviteRow>(new CommandDefinition(
            $"SELECT {Columns} FROM invites WHERE id = @inviteId AND org_id = @orgId", new { orgId, inviteId }, cancellationToken: ct));
    }

    /// <summary>Revokes a pending invite and writes <c>invite.revoke</c>; false when it is not pending (accepted or already revoked).</summary>
    public async Task<bool> RevokeAsync(string orgId, string inviteId, RequestAudit audit, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginWriteAsync(connection, ct);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE invites SET revoked_at = @now WHERE id = @inviteId AND org_id = @orgId AND revoked_at IS NULL AND accepted_at IS NULL",
            new { now, inviteId, orgId }, tx, cancellationToken: ct));
        if (changed == 0)
        {
            return false;
        }

        await audit.RecordAsync(connection, tx, "invite.revoke", new AuditTarget("invite", inviteId), new { status = "pending" }, new { status = "revoked" }, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    /// <summary>The invite with this token (for the page that shows it before it is accepted), or null.</summary>
    public async Task<InviteRow?> FindByTokenAsync(string token, CancellationToken ct)
    {
        if (!token.StartsWith(Secrets.InvitePrefix, StringComparison.Ordinal) || token.Length != Secrets.Length)
        {
            return null;
        }

        var tokenHash = Secrets.Hash(token);
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<InviteRow>(new CommandDefinition(
            $"SELECT {Columns} FROM invites WHERE token_hash = @tokenHash", new { tokenHash }, cancellationToken: ct));
    }

    /// <summary>
    /// Accepts the invite with this token for <paramref name="user"/>: in one transaction, the member
    /// row (role, <c>role_since</c> now), grants to the invite's projects that are still live, the
    /// invite's caps as the member's budget (counting from now, as a budget set now would), the
    /// invite marked accepted, and <c>invite.accept</c> with the new member as actor.
    /// </summary>
    public async Task<(AcceptOutcome Outcome, InviteRow? Invite, string? MemberId, IReadOnlyList<string> Granted)> AcceptAsync(
        string token, CurrentUser user, string? ip, CancellationToken ct)
    {
        var tokenHash = Secrets.Hash(token);
        await using var connection = await database.OpenAsync(ct);
        var invite = await connection.QuerySingleOrDefaultAsync<InviteRow>(new CommandDefinition(
            $"SELECT {Columns} FROM invites WHERE token_hash = @tokenHash", new { tokenHash }, cancellationToken: ct));
        if (invite is null)
        {
            return (AcceptOutcome.NotFound, null, null, []);
        }

        await using var tx = await members.BeginOrgWriteAsync(connection, invite.OrgId, ct);
        invite = await connection.QuerySingleAsync<InviteRow>(new CommandDefinition(
            $"SELECT {Columns} FROM invites WHERE id = @Id", invite, tx, cancellationToken: ct));
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var refusal = invite switch
        {
            _ when !string.Equals(invite.Email, user.Email, StringComparison.OrdinalIgnoreCase) => AcceptOutcome.WrongEmail,
            { AcceptedAt: not null } => AcceptOutcome.AlreadyAccepted,
            { RevokedAt: not null } => AcceptOutcome.Revoked,
            _ when invite.ExpiresAt <= now => AcceptOutcome.Expired,
            _ => AcceptOutcome.Accepted,
        };
        if (refusal != AcceptOutcome.Accepted)
        {
            return (refusal, invite, null, []);
        }

        var existing = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM members WHERE org_id = @OrgId AND user_id = @userId AND removed_at IS NULL",
            new { invite.OrgId, userId = user.UserId }, tx, cancellationToken: ct));
        if (existing > 0)
        {
            return (AcceptOutcome.AlreadyMember, invite, null, []);
        }

        var memberId = Ids.New("mem", time);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO members (id, org_id, user_id, role, created_at, removed_at, role_since)
            VALUES (@memberId, @OrgId, @userId, @Role, @now, NULL, @now)
            """,
            new { memberId, invite.OrgId, userId = user.UserId, invite.Role, now }, tx, cancellationToken: ct));
        var live = (await connection.QueryAsync<string>(new CommandDefinition(
            $"SELECT id FROM projects WHERE org_id = @OrgId AND deleted_at IS NULL AND id {SqlLists.In(connection, "ids")}",
            new { invite.OrgId, ids = invite.ProjectIds.ToArray() }, tx, cancellationToken: ct))).Order(StringComparer.Ordinal).ToArray();
        await MemberStore.ReplaceGrantsAsync(connection, tx, memberId, live, now, ct);
        if (invite.Budget is { } caps)
        {
            await BudgetStore.PutAsync(connection, tx, BudgetScope.Member, memberId, invite.OrgId, caps, DateTimeOffset.FromUnixTimeMilliseconds(now));
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE invites SET accepted_at = @now, accepted_member_id = @memberId WHERE id = @Id",
            new { now, memberId, invite.Id }, tx, cancellationToken: ct));
        await auditLog.RecordAsync(connection, tx, invite.OrgId, new AuditActor(memberId, user.Email), "invite.accept",
            new AuditTarget("invite", invite.Id), new { status = "pending" },
            new { status = "accepted", memberId, userId = user.UserId, role = invite.Role, projectIds = live, budget = invite.Budget is { } b ? BudgetJson.Request(b) : null }, ip, ct);
        await tx.CommitAsync(ct);
        return (AcceptOutcome.Accepted, invite, memberId, live);
    }
}
