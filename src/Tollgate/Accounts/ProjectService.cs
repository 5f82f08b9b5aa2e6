using Tollgate.Audit;

namespace Tollgate.Accounts;

/// <summary>
/// Projects of an org, for the API and the dashboard alike. Deleting one is soft and disables its
/// keys. Developers and basic members see only the projects granted to them; any other project is
/// "not found" for them, as another org's is.
/// </summary>
internal sealed class ProjectService(OrgStore orgs)
{
    /// <summary>404 detail for a project the caller cannot see (or a deleted one).</summary>
    public const string NotFoundMessage = "Project not found.";

    private const string ManageForbiddenMessage = "Only owners and admins can create, rename or delete projects.";

    /// <summary>The projects the caller may see, a page at a time.</summary>
    public async Task<IReadOnlyList<OrgStore.ProjectRow>> ListAsync(OrgMember caller, Paging paging, CancellationToken ct) =>
        await orgs.ListProjectsAsync(caller.OrgId, caller, paging, ct);

    /// <summary>Every project the caller may see.</summary>
    public async Task<IReadOnlyList<OrgStore.ProjectRow>> ListAllAsync(OrgMember caller, CancellationToken ct)
    {
        var all = new List<OrgStore.ProjectRow>();
        string? cursor = null;
        while (true)
        {
            var paging = new Paging(Paging.MaxLimit, cursor);
            var rows = await orgs.ListProjectsAsync(caller.OrgId, caller, paging, ct);
            all.AddRange(rows.Take(paging.Limit));
            if (rows.Count <= paging.Limit)
            {
                return all;
            }

            cursor = rows[paging.Limit - 1].Id;
        }
    }

    /// <summary>Creates a project (owner, admin).</summary>
    public async Task<Outcome<OrgStore.ProjectRow>> CreateAsync(OrgMember caller, RequestAudit audit, string? requestedName, CancellationToken ct)
    {
        if (!RolePolicy.Can(caller.Role, Capability.ManageProjects))
        {
            return AccountProblems.Forbidden(ManageForbiddenMessage);
        }

        var errors = new FieldErrors();
        var name = errors.Name("name", requestedName);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var project = await orgs.CreateProjectAsync(caller.OrgId, name!, ct);
        await audit.RecordAsync("project.create", new AuditTarget("project", project.Id), null, new { project.Name }, ct);
        return project;
    }

    /// <summary>A project the caller may see.</summary>
    public async Task<Outcome<OrgStore.ProjectRow>> GetAsync(OrgMember caller, string projectId, CancellationToken ct) =>
        await orgs.FindVisibleProjectAsync(caller, projectId, ct) is { } project ? project : AccountProblems.NotFound(NotFoundMessage);

    /// <summary>Renames a project and sets its routing (owner, admin); a null name or routing changes nothing.</summary>
    public async Task<Outcome<OrgStore.ProjectRow>> RenameAsync(
        OrgMember caller, RequestAudit audit, string projectId, string? requestedName, CancellationToken ct, string? routing = null)
    {
        // Existence first: a member who may not rename still learns nothing about other orgs' ids.
        var project = await orgs.FindVisibleProjectAsync(caller, projectId, ct);
        if (project is null)
        {
            return AccountProblems.NotFound(NotFoundMessage);
        }

        if (!RolePolicy.Can(caller.Role, Capability.ManageProjects))
        {
            return AccountProblems.Forbidden(ManageForbiddenMessage);
        }

        var errors = new FieldErrors();
        var name = requestedName is null ? null : errors.Name("name", requestedName);
        if (routing is not null && !ProjectRouting.IsValid(routing))
        {
            errors.Add("routing", $"routing must be one of: {string.Join(", ", ProjectRouting.Values)}.");
        }

        if (errors.Any)
        {
            return errors.ToProblem();
        }

        if (routing is not null && routing != project.Routing)
        {
            var before = project.Routing;
            await orgs.SetProjectRoutingAsync(caller.OrgId, projectId, routing, ct);
            project = project with { Routing = routing };
            await audit.RecordAsync("project.update", new AuditTarget("project", projectId), new { routing = before }, new { routing }, ct);
        }

        if (name is not null && name != project.Name)
        {
            var before = project;
            project = await orgs.RenameProjectAsync(caller.OrgId, projectId, name, ct);
            await audit.RecordAsync("project.update", new AuditTarget("project", projectId), new { before.Name }, new { name }, ct);
        }

        return project is null ? AccountProblems.NotFound(NotFoundMessage) : project;
    }

    /// <summary>Deletes a project (owner, admin); its keys stop working.</summary>
    public async Task<Outcome<Done>> DeleteAsync(OrgMember caller, RequestAudit audit, string projectId, CancellationToken ct)
    {
        var project = await orgs.FindVisibleProjectAsync(caller, projectId, ct);
        if (project is null)
        {
            return AccountProblems.NotFound(NotFoundMessage);
        }

        if (!RolePolicy.Can(caller.Role, Capability.ManageProjects))
        {
            return AccountProblems.Forbidden(ManageForbiddenMessage);
        }

        if (!await orgs.DeleteProjectAsync(caller.OrgId, projectId, ct))
        {
            return AccountProblems.NotFound(NotFoundMessage);
        }

        await audit.RecordAsync("project.delete", new AuditTarget("project", projectId), new { project.Name }, null, ct);
        return Done.Value;
    }
}
