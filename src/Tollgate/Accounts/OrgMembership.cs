namespace Tollgate.Accounts;

/// <summary>
/// Org access, applied once to the <c>/orgs/{orgId}</c> route group (inside
/// <see cref="SessionAuthentication"/>): only current members act on an org. Everyone else gets
/// 404, the same answer as for an org that does not exist, so org ids do not leak.
/// </summary>
internal sealed class OrgMembership : IEndpointFilter
{
    /// <summary>404 detail for an org the caller cannot see.</summary>
    public const string NotFoundMessage = "Org not found.";

    private static readonly object ItemKey = new();

    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var member = await ResolveAsync(context.HttpContext);
        return member is null ? AccountProblems.NotFound(NotFoundMessage) : await next(context);
    }

    /// <summary>The signed-in caller's membership of the route's org, or null; kept for the rest of the request.</summary>
    public static async ValueTask<OrgMember?> ResolveAsync(HttpContext context)
    {
        if (context.Items.TryGetValue(ItemKey, out var known))
        {
            return known as OrgMember;
        }

        OrgMember? member = null;
        var user = (await SessionAuthentication.ResolveAsync(context)).User;
        if (user is not null && context.Request.RouteValues["orgId"] is string orgId)
        {
            var orgs = context.RequestServices.GetRequiredService<OrgStore>();
            var row = await orgs.FindMemberAsync(orgId, user.UserId, context.RequestAborted);
            member = row is null ? null : new OrgMember(row.Id, row.OrgId, row.UserId, row.Role);
        }

        context.Items[ItemKey] = member;
        return member;
    }
}
