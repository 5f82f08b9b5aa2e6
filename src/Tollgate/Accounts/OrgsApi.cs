using Tollgate.Audit;
using Tollgate.Operations;

namespace Tollgate.Accounts;

/// <summary>The <c>/orgs</c> routes over <see cref="OrgService"/>.</summary>
internal static class OrgsApi
{
    /// <summary>Maps <c>/orgs</c> onto <paramref name="orgs"/> (signed in) and <c>/orgs/{orgId}</c> onto <paramref name="org"/> (members).</summary>
    public static void Map(RouteGroupBuilder orgs, RouteGroupBuilder org)
    {
        orgs.MapPost("", async (CreateOrgRequest body, CurrentUser user, HttpContext http, OrgService service, CancellationToken ct) =>
            (await service.CreateAsync(user, RequestAudit.ClientIp(http), body, ct)).ToResult(o => TypedResults.Created($"/orgs/{o.Id}", OrgService.ToResponse(o))))
            .Answers<OrgResponse>(StatusCodes.Status201Created).Refuses(400);
        orgs.MapGet("", async (CurrentUser user, string? limit, string? cursor, OrgService service, CancellationToken ct) =>
            (await service.ListAsync(user, limit, cursor, ct)).ToResult(page => TypedResults.Ok(page.Paging.ToPage(page.Rows, r => r.Id, OrgService.ToResponse))))
            .Answers<Page<OrgResponse>>().Refuses(400);
        org.MapGet("", async (OrgMember member, OrgService service, CancellationToken ct) =>
            (await service.GetAsync(member, ct)).ToResult(o => TypedResults.Ok(o)))
            .Answers<OrgResponse>();
        org.MapPatch("", async (UpdateOrgRequest body, OrgMember member, RequestAudit audit, OrgService service, CancellationToken ct) =>
            (await service.UpdateAsync(member, audit, body, ct)).ToResult(o => TypedResults.Ok(o)))
            .Answers<OrgResponse>().Refuses(400);
    }
}
