using Tollgate.Audit;
using Tollgate.Operations;

namespace Tollgate.Accounts;

/// <summary>The <c>/orgs/{orgId}/projects</c> routes over <see cref="ProjectService"/>.</summary>
internal static class ProjectsApi
{
    /// <summary>404 detail for a project the caller cannot see (or a deleted one).</summary>
    public const string NotFoundMessage = ProjectService.NotFoundMessage;

    /// <summary>Maps <c>/orgs/{orgId}/projects</c>.</summary>
    public static void Map(RouteGroupBuilder projects)
    {
        projects.MapGet("", ListAsync)
            .Answers<Page<ProjectResponse>>().Refuses(400);
        projects.MapPost("", async (ProjectRequest body, OrgMember member, RequestAudit audit, ProjectService service, CancellationToken ct) =>
            (await service.CreateAsync(member, audit, body.Name, ct)).ToResult(p => TypedResults.Created($"/orgs/{member.OrgId}/projects/{p.Id}", ToResponse(p))))
            .Answers<ProjectResponse>(StatusCodes.Status201Created).Refuses(400, 409);
        projects.MapGet("/{projectId}", async (string projectId, OrgMember member, ProjectService service, CancellationToken ct) =>
            (await service.GetAsync(member, projectId, ct)).ToResult(p => TypedResults.Ok(ToResponse(p))))
            .Answers<ProjectResponse>();
        projects.MapPatch("/{projectId}", async (string projectId, ProjectRequest body, OrgMember member, RequestAudit audit, ProjectService service, CancellationToken ct) =>
            (await service.RenameAsync(member, audit, projectId, body.Name, ct, body.Routing)).ToResult(p => TypedResults.Ok(ToResponse(p))))
            .Answers<ProjectResponse>().Refuses(400, 409);
        projects.MapDelete("/{projectId}", async (string projectId, OrgMember member, RequestAudit audit, ProjectService service, CancellationToken ct) =>
            (await service.DeleteAsync(member, audit, projectId, ct)).ToResult(_ => TypedResults.NoContent()))
            .AnswersNoContent();
    }

    private static async Task<IResult> ListAsync(OrgMember member, string? limit, string? cursor, ProjectService service, CancellationToken ct)
    {
        if (!Paging.TryParse(limit, cursor, out var paging, out var error))
        {
            return AccountProblems.Validation("limit", error!);
        }

        var rows = await service.ListAsync(member, paging, ct);
        return TypedResults.Ok(paging.ToPage(rows, r => r.Id, ToResponse));
    }

    private static ProjectResponse ToResponse(OrgStore.ProjectRow project) =>
        new(project.Id, project.OrgId, project.Name, ApiTime.FromUnixMs(project.CreatedAt), project.Routing);
}
