using Dapper;
using Tollgate.Hosting;
using Tollgate.Storage;

namespace Tollgate.Accounts;

/// <summary>Orgs, their members and their projects.</summary>
internal sealed class OrgStore(Database database, TimeProvider time, ApiKeyAuthenticator keys)
{
    /// <summary>An org row.</summary>
    public sealed record OrgRow(string Id, string Name, string Plan, string BillingMode, long CreatedAt, string? TaxRate = null, string? BillingJson = null);

    /// <summary>The org's settings as <c>PATCH /orgs/{orgId}</c> changes them.</summary>
    public sealed record OrgSettings(string Name, string BillingMode, string? TaxRate, string? BillingJson);

    /// <summary>A current (not removed) member row.</summary>
    public sealed record MemberRow(string Id, string OrgId, string UserId, string Role);

    /// <summary>A live (not deleted) project row.</summary>
    public sealed record ProjectRow(string Id, string OrgId, string Name, long CreatedAt, string Routing = ProjectRouting.Price);

    private const string OrgColumns =
        "id, name, plan, billing_mode AS BillingMode, created_at AS CreatedAt, tax_rate AS TaxRate, billing_json AS BillingJson";
    private const string ProjectColumns = "id, org_id AS OrgId, name, created_at AS CreatedAt, routing";

    // :: Orgs ------------------------------------------------------------------------------

    /// <summary>Creates an org with <paramref name="userId"/> as its owner, in one transaction.</summary>
    public async Task<(OrgRow Org, MemberRow Owner)> CreateOrgAsync(string userId, string name, string plan, string billingMode, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var org = new OrgRow(Ids.New("org", time), name, plan, billingMode, now);
        var owner = new MemberRow(Ids.New("mem", time), org.Id, userId, OrgRoles.Owner);
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginWriteAsync(connection, ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO orgs (id, name, plan, billing_mode, created_at) VALUES (@Id, @Name, @Plan, @BillingMode, @CreatedAt)",
            org, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO members (id, org_id, user_id, role, created_at, removed_at, role_since) VALUES (@Id, @OrgId, @UserId, @Role, @now, NULL, @now)",
            new { owner.Id, owner.OrgId, owner.UserId, owner.Role, now }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return (org, owner);
    }

    /// <summary>The orgs the user is a member of, by id; fetches <c>Limit + 1</c> rows (see <see cref="Paging.ToPage"/>).</summary>
    public async Task<IReadOnlyList<OrgRow>> ListOrgsOfUserAsync(string userId, Paging paging, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<OrgRow>(new CommandDefinition(
            $"""
            SELECT {OrgColumns}
            FROM orgs
            WHERE id IN (SELECT org_id FROM members WHERE user_id = @userId AND removed_at IS NULL)
              {(paging.Cursor is null ? "" : "AND id > @cursor")}
            ORDER BY id
            LIMIT @take
            """,
            new { userId, cursor = paging.Cursor, take = paging.Limit + 1 },
            cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>The org, or null.</summary>
    public async Task<OrgRow?> FindOrgAsync(string orgId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<OrgRow>(new CommandDefinition(
            $"SELECT {OrgColumns} FROM orgs WHERE id = @orgId", new { orgId }, cancellationToken: ct));
    }

    /// <summary>Sets the org's name, billing mode, tax rate and billing details; returns it as it now is.</summary>
    public async Task<OrgRow?> UpdateOrgAsync(string orgId, OrgSettings settings, CancellationToken ct)
    {
        await using (var connection = await database.OpenAsync(ct))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE orgs SET name = @Name, billing_mode = @BillingMode, tax_rate = @TaxRate, billing_json = @BillingJson WHERE id = @orgId",
                new { orgId, settings.Name, settings.BillingMode, settings.TaxRate, settings.BillingJson },
                cancellationToken: ct));
        }

        return await FindOrgAsync(orgId, ct);
    }

    /// <summary>Renames the org; returns it as it now is.</summary>
    public async Task<OrgRow?> RenameOrgAsync(string orgId, string name, CancellationToken ct)
    {
        await using (var connection = await database.OpenAsync(ct))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE orgs SET name = @name WHERE id = @orgId", new { orgId, name }, cancellationToken: ct));
        }

        return await FindOrgAsync(orgId, ct);
    }

    // :: Members ---------------------------------------------------------------------------

    /// <summary>The user's current membership of the org, or null when the user is not a member (or the org does not exist).</summary>
    public async Task<MemberRow?> FindMemberAsync(string orgId, string userId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<MemberRow>(new CommandDefinition(
            """
            SELECT id, org_id AS OrgId, user_id AS UserId, role
            FROM members
            WHERE org_id = @orgId AND user_id = @userId AND removed_at IS NULL
            """,
            new { orgId, userId },
            cancellationToken: ct));
    }

    // :: Projects --------------------------------------------------------------------------

    /// <summary>The org's live projects, by id; fetches <c>Limit + 1</c> rows.</summary>
    public Task<IReadOnlyList<ProjectRow>> ListProjectsAsync(string orgId, Paging paging, CancellationToken ct) =>
        ListProjectsAsync(orgId, null, paging, ct);

    /// <summary>
    /// The live projects of the org that <paramref name="viewer"/> may see (all of them for roles
    /// that see every project, else the granted ones), by id; fetches <c>Limit + 1</c> rows.
    /// </summary>
    public async Task<IReadOnlyList<ProjectRow>> ListProjectsAsync(string orgId, OrgMember? viewer, Paging paging, CancellationToken ct)
    {
        var grantedTo = viewer is not null && RolePolicy.IsProjectScoped(viewer.Role) ? viewer.MemberId : null;
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<ProjectRow>(new CommandDefinition(
            $"""
            SELECT {ProjectColumns}
            FROM projects
            WHERE org_id = @orgId AND deleted_at IS NULL
              {(grantedTo is null ? "" : "AND id IN (SELECT project_id FROM project_grants WHERE member_id = @grantedTo)")}
              {(paging.Cursor is null ? "" : "AND id > @cursor")}
            ORDER BY id
            LIMIT @take
            """,
            new { orgId, grantedTo, cursor = paging.Cursor, take = paging.Limit + 1 },
            cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>The live project of this org, or null (also for another org's project).</summary>
    public async Task<ProjectRow?> FindProjectAsync(string orgId, string projectId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ProjectRow>(new CommandDefinition(
            $"SELECT {ProjectColumns} FROM projects WHERE id = @projectId AND org_id = @orgId AND deleted_at IS NULL",
            new { orgId, projectId },
            cancellationToken: ct));
    }

    /// <summary>
    /// The live project of this org if <paramref name="viewer"/> may see it (every project for roles
    /// that see all, else only granted ones); null otherwise, which callers answer with 404.
    /// </summary>
    public async Task<ProjectRow?> FindVisibleProjectAsync(OrgMember viewer, string projectId, CancellationToken ct)
    {
        var project = await FindProjectAsync(viewer.OrgId, projectId, ct);
        if (project is null || !RolePolicy.IsProjectScoped(viewer.Role))
        {
            return project;
        }

        return await IsGrantedAsync(viewer.MemberId, projectId, ct) ? project : null;
    }

    /// <summary>True when the member holds a grant to the project.</summary>
    public async Task<bool> IsGrantedAsync(string memberId, string projectId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM project_grants WHERE member_id = @memberId AND project_id = @projectId",
            new { memberId, projectId },
            cancellationToken: ct)) > 0;
    }

    /// <summary>Creates a project.</summary>
    public async Task<ProjectRow> CreateProjectAsync(string orgId, string name, CancellationToken ct)
    {
        var project = new ProjectRow(Ids.New("prj", time), orgId, name, time.GetUtcNow().ToUnixTimeMilliseconds());
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO projects (id, org_id, name, created_at, deleted_at) VALUES (@Id, @OrgId, @Name, @CreatedAt, NULL)",
            project,
            cancellationToken: ct));
        return project;
    }

    /// <summary>Sets a live project's routing setting (<see cref="ProjectRouting"/>); false when there is no such project in the org.</summary>
    public async Task<bool> SetProjectRoutingAsync(string orgId, string projectId, string routing, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE projects SET routing = @routing WHERE id = @projectId AND org_id = @orgId AND deleted_at IS NULL",
            new { orgId, projectId, routing },
            cancellationToken: ct)) > 0;
    }

    /// <summary>Renames a live project; null when there is no such project in the org.</summary>
    public async Task<ProjectRow?> RenameProjectAsync(string orgId, string projectId, string name, CancellationToken ct)
    {
        await using (var connection = await database.OpenAsync(ct))
        {
            var changed = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE projects SET name = @name WHERE id = @projectId AND org_id = @orgId AND deleted_at IS NULL",
                new { orgId, projectId, name },
                cancellationToken: ct));
            if (changed == 0)
            {
                return null;
            }
        }

        return await FindProjectAsync(orgId, projectId, ct);
    }

    /// <summary>
    /// Soft-deletes a project and disables its active keys, in one transaction; the keys stop
    /// working on this node at once. False when there is no such live project in the org.
    /// </summary>
    public async Task<bool> DeleteProjectAsync(string orgId, string projectId, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using (var connection = await database.OpenAsync(ct))
        {
            await using var tx = await Database.BeginWriteAsync(connection, ct);
            var deleted = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE projects SET deleted_at = @now WHERE id = @projectId AND org_id = @orgId AND deleted_at IS NULL",
                new { orgId, projectId, now }, tx, cancellationToken: ct));
            if (deleted == 0)
            {
                return false;
            }

            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE api_keys SET status = 'disabled', updated_at = @now WHERE project_id = @projectId AND status = 'active'",
                new { projectId, now }, tx, cancellationToken: ct));
            await tx.CommitAsync(ct);
        }

        // After the commit, so that a lookup racing the delete cannot re-cache the old state.
        keys.InvalidateProject(projectId);
        return true;
    }
}
