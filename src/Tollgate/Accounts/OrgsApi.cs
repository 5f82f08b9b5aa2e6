using Microsoft.AspNetCore.Http.HttpResults;
using Tollgate.Audit;

namespace Tollgate.Accounts;

/// <summary>Orgs: create (the caller becomes owner), list the caller's, read, rename.</summary>
internal static class OrgsApi
{
    /// <summary>Maps <c>/orgs</c> onto <paramref name="orgs"/> (signed in) and <c>/orgs/{orgId}</c> onto <paramref name="org"/> (members).</summary>
    public static void Map(RouteGroupBuilder orgs, RouteGroupBuilder org)
    {
        orgs.MapPost("", CreateAsync);
        orgs.MapGet("", ListAsync);
        org.MapGet("", GetAsync);
        org.MapPatch("", UpdateAsync);
    }

    private static async Task<Results<Created<OrgResponse>, ValidationProblem>> CreateAsync(
        CreateOrgRequest body, CurrentUser user, HttpContext http, OrgStore orgs, AuditLog audit, AccountsOptions options, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var name = errors.Name("name", body.Name);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var (org, owner) = await orgs.CreateOrgAsync(user.UserId, name!, options.DefaultPlan, options.DefaultBillingMode, ct);
        await audit.RecordAsync(org.Id, new AuditActor(owner.Id, user.Email), "org.create", new AuditTarget("org", org.Id), null,
            new { org.Name, org.Plan, org.BillingMode }, RequestAudit.ClientIp(http), ct);
        return TypedResults.Created($"/orgs/{org.Id}", ToResponse(org));
    }

    private static async Task<Results<Ok<Page<OrgResponse>>, ValidationProblem>> ListAsync(
        CurrentUser user, string? limit, string? cursor, OrgStore orgs, CancellationToken ct)
    {
        if (!Paging.TryParse(limit, cursor, out var paging, out var error))
        {
            return AccountProblems.Validation("limit", error!);
        }

        var rows = await orgs.ListOrgsOfUserAsync(user.UserId, paging, ct);
        return TypedResults.Ok(paging.ToPage(rows, r => r.Id, ToResponse));
    }

    private static async Task<Results<Ok<OrgResponse>, ProblemHttpResult>> GetAsync(OrgMember member, OrgStore orgs, CancellationToken ct)
    {
        var org = await orgs.FindOrgAsync(member.OrgId, ct);
        return org is null ? AccountProblems.NotFound(OrgMembership.NotFoundMessage) : TypedResults.Ok(ToResponse(org));
    }

    private static async Task<Results<Ok<OrgResponse>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        UpdateOrgRequest body, OrgMember member, RequestAudit audit, OrgStore orgs, CancellationToken ct)
    {
        if (!RolePolicy.Can(member.Role, Capability.ManageOrgSettings))
        {
            return AccountProblems.Forbidden("Only owners and admins can change the org.");
        }

        var errors = new FieldErrors();
        var name = body.Name is null ? null : errors.Name("name", body.Name);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var before = await orgs.FindOrgAsync(member.OrgId, ct);
        var org = name is null || name == before?.Name ? before : await orgs.RenameOrgAsync(member.OrgId, name, ct);
        if (org is not null && before is not null && org.Name != before.Name)
        {
            await audit.RecordAsync("org.update", new AuditTarget("org", org.Id), new { before.Name }, new { org.Name }, ct);
        }

        return org is null ? AccountProblems.NotFound(OrgMembership.NotFoundMessage) : TypedResults.Ok(ToResponse(org));
    }

    private static OrgResponse ToResponse(OrgStore.OrgRow org) =>
        new(org.Id, org.Name, org.Plan, org.BillingMode, ApiTime.FromUnixMs(org.CreatedAt));
}
