namespace Tollgate.Accounts;

/// <summary>
/// The accounts part of the management API. One static class per area maps its routes onto a
/// group that already carries the area's access rule, so handlers never check sign-in or
/// membership themselves:
/// <code>
/// /auth/signup, /auth/login                 open                       SignInApi
/// /auth/logout, /me, /orgs                  signed in                  SignInApi, OrgsApi
/// /orgs/{orgId}, .../projects, .../keys     signed in and a member     OrgsApi, ProjectsApi, KeysApi
/// .../members, .../invites, .../roles       signed in and a member     MembersApi
/// /invites/{token}/accept                   signed in                  MembersApi
/// .../audit-logs                            signed in and a member     AuditApi
/// </code>
/// Later areas (budgets, billing) add their routes through <see cref="MapSignedInGroup"/> and
/// <see cref="MapOrgGroup"/>; who may call them is decided by <see cref="RolePolicy"/> (and
/// <see cref="PlanPolicy"/>), never by comparing role names in a handler. Every route under
/// <c>/orgs/{orgId}</c> needs its rows in the role matrix test (<c>Team/RoleMatrixTests.cs</c>),
/// which fails for a route without one.
/// </summary>
public static class AccountsApi
{
    /// <summary>Maps the sign-in, org, project and API key endpoints.</summary>
    public static IEndpointRouteBuilder MapAccountsApi(this IEndpointRouteBuilder app)
    {
        var signedIn = app.MapSignedInGroup("");
        SignInApi.Map(app.MapGroup("/auth"), signedIn);
        OrgsApi.Map(signedIn.MapGroup("/orgs"), app.MapOrgGroup(""));
        ProjectsApi.Map(app.MapOrgGroup("/projects"));
        KeysApi.Map(app.MapOrgGroup("/keys"));
        MembersApi.Map(app.MapOrgGroup(""), signedIn);
        Tollgate.Audit.AuditApi.Map(app.MapOrgGroup("/audit-logs"));
        return app;
    }

    /// <summary>
    /// A route group whose endpoints require a live session (<see cref="SessionAuthentication"/>);
    /// handlers may take a <c>CurrentUser</c> parameter.
    /// </summary>
    public static RouteGroupBuilder MapSignedInGroup(this IEndpointRouteBuilder app, string prefix)
    {
        var group = app.MapGroup(prefix);
        group.AddEndpointFilter<SessionAuthentication>();
        group.WithMetadata(new Microsoft.AspNetCore.Http.ProducesResponseTypeMetadata(
            StatusCodes.Status401Unauthorized, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]));
        return group;
    }

    /// <summary>
    /// A route group under <c>/orgs/{orgId}</c> whose endpoints require a live session and a current
    /// membership of that org (others get 404); handlers may take an <c>OrgMember</c> parameter.
    /// </summary>
    public static RouteGroupBuilder MapOrgGroup(this IEndpointRouteBuilder app, string prefix)
    {
        var group = app.MapSignedInGroup("/orgs/{orgId}" + prefix);
        group.AddEndpointFilter<OrgMembership>();
        // Not a member (or no such org): 404, so ids do not leak; a member whose role or plan may not: 403.
        foreach (var status in new[] { StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound })
        {
            group.WithMetadata(new Microsoft.AspNetCore.Http.ProducesResponseTypeMetadata(
                status, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]));
        }

        return group;
    }
}
