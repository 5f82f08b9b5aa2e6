namespace Tollgate.Accounts;

/// <summary>
/// The caller's membership of the org named by the route's <c>{orgId}</c>. Handlers in a group
/// guarded by <see cref="OrgMembership"/> take it as a parameter; non-members never get there.
/// </summary>
/// <param name="MemberId">The membership's id.</param>
/// <param name="OrgId">The org.</param>
/// <param name="UserId">The user.</param>
/// <param name="Role">owner, admin, billing, developer or basic.</param>
internal sealed record OrgMember(string MemberId, string OrgId, string UserId, string Role)
{
    /// <summary>Minimal API binding: the membership resolved for this request (resolved once, then reused).</summary>
    public static ValueTask<OrgMember?> BindAsync(HttpContext context) => OrgMembership.ResolveAsync(context);
}
