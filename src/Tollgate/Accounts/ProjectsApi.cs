using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.Audit;

namespace Tollgate.Accounts;

/// <summary>
/// Projects of an org. Deleting one is soft and disables its keys. Developers and basic members see
/// only the projects granted to them; any other project answers 404 for them, as another org's does.
/// </summary>
internal static class ProjectsApi
{
    /// <summary>404 detail for a project the caller cannot see (or a deleted one).</summary>
    public const string NotFoundMessage = "Project not found.";

    private const string ManageForbiddenMessage = "Only owners and admins can create, rename or delete projects.";

    /// <summary>Maps <c>/orgs/{orgId}/projects</c>.</summary>
    public static void Map(RouteGroupBuilder projects)
    {
        projects.MapGet("", ListAsync);
        projects.MapPost("", CreateAsync);
        projects.MapGet("/{projectId}", GetAsync);
        projects.MapPatch("/{projectId}", RenameAsync);
        projects.MapDelete("/{projectId}", DeleteAsync);
    }

    private static async Task<Results<Ok<Page<ProjectResponse>>, ValidationProblem>> ListAsync(
        OrgMember member, string? limit, string? cursor, OrgStore orgs, CancellationToken ct)
    {
        if (!Paging.TryParse(limit, cursor, out var paging, out var error))
        {
            return AccountProblems.Validation("limit", error!);
        }

        var rows = await orgs.ListProjectsAsync(member.OrgId, member, paging, ct);
        return TypedResults.Ok(paging.ToPage(rows, r => r.Id, ToResponse));
    }

    private static async Task<Results<Created<ProjectResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        ProjectRequest body, OrgMember member, RequestAudit audit, OrgStore orgs, CancellationToken ct)
    {
        if (!RolePolicy.Can(member.Role, Capability.ManageProjects))
        {
            return AccountProblems.Forbidden(ManageForbiddenMessage);
        }

        var errors = new FieldErrors();
        var name = errors.Name("name", body.Name);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var project = await orgs.CreateProjectAsync(member.OrgId, name!, ct);
        await audit.RecordAsync("project.create", new AuditTarget("project", project.Id), null, new { project.Name }, ct);
        return TypedResults.Created($"/orgs/{member.OrgId}/projects/{project.Id}", ToResponse(project));
    }

    private static async Task<Results<Ok<ProjectResponse>, ProblemHttpResult>> GetAsync(
        string projectId, OrgMember member, OrgStore orgs, CancellationToken ct)
    {
        var project = await orgs.FindVisibleProjectAsync(member, projectId, ct);
        return project is null ? AccountProblems.NotFound(NotFoundMessage) : TypedResults.Ok(ToResponse(project));
    }

    private static async Task<Results<Ok<ProjectResponse>, ValidationProblem, ProblemHttpResult>> RenameAsync(
        string projectId, ProjectRequest body, OrgMember member, RequestAudit audit, OrgStore orgs, CancellationToken ct)
    {
        // Existence first: a member who may not rename still learns nothing about other orgs' ids.
        var project = await orgs.FindVisibleProjectAsync(member, projectId, ct);
        if (project is null)
        {
            return AccountProblems.NotFound(NotFoundMessage);
        }

        if (!RolePolicy.Can(member.Role, Capability.ManageProjects))
        {
            return AccountProblems.Forbidden(ManageForbiddenMessage);
        }

        var errors = new FieldErrors();
        var name = body.Name is null ? null : errors.Name("name", body.Name);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        if (name is not null && name != project.Name)
        {
            var before = project;
            project = await orgs.RenameProjectAsync(member.OrgId, projectId, name, ct);
            await audit.RecordAsync("project.update", new AuditTarget("project", projectId), new { before.Name }, new { name }, ct);
        }

        return project is null ? AccountProblems.NotFound(NotFoundMessage) : TypedResults.Ok(ToResponse(project));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string projectId, OrgMember member, RequestAudit audit, OrgStore orgs, CancellationToken ct)
    {
        var project = await orgs.FindVisibleProjectAsync(member, projectId, ct);
        if (project is null)
        {
            return AccountProblems.NotFound(NotFoundMessage);
        }

        if (!RolePolicy.Can(member.Role, Capability.ManageProjects))
        {
            return AccountProblems.Forbidden(ManageForbiddenMessage);
        }

        if (!await orgs.DeleteProjectAsync(member.OrgId, projectId, ct))
        {
            return AccountProblems.NotFound(NotFoundMessage);
        }

        await audit.RecordAsync("project.delete", new AuditTarget("project", projectId), new { project.Name }, null, ct);
        return TypedResults.NoContent();
    }

    private static ProjectResponse ToResponse(OrgStore.ProjectRow project) =>
        new(project.Id, project.OrgId, project.Name, ApiTime.FromUnixMs(project.CreatedAt));
}
