using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Tollgate.Accounts;
using Tollgate.Audit;

namespace Tollgate.Dashboard;

/// <summary>
/// The signed-in user of one dashboard circuit and their membership of the org a page is about.
/// The session is checked against the store on every page, so signing out (anywhere) ends the
/// dashboard too; the membership is read fresh for every page, so a changed role or a removal
/// takes effect at the next navigation.
/// </summary>
public sealed class DashboardSession
{
    private readonly AuthenticationStateProvider _auth;
    private readonly UserStore _users;
    private readonly OrgStore _orgs;
    private readonly AuditLog _audit;

    internal DashboardSession(AuthenticationStateProvider auth, UserStore users, OrgStore orgs, AuditLog audit)
    {
        _auth = auth;
        _users = users;
        _orgs = orgs;
        _audit = audit;
    }

    /// <summary>The signed-in user, or null when there is no live session.</summary>
    internal async Task<CurrentUser?> UserAsync(CancellationToken ct = default)
    {
        var principal = (await _auth.GetAuthenticationStateAsync()).User;
        var hash = principal.FindFirstValue(DashboardServices.SessionClaim);
        if (hash is null)
        {
            return null;
        }

        var session = await _users.FindLiveSessionAsync(hash, ct);
        return session is null ? null : new CurrentUser(session.UserId, session.Email, session.Name, hash);
    }

    /// <summary>The client IP the circuit was opened from.</summary>
    internal async Task<string?> IpAsync()
    {
        var ip = (await _auth.GetAuthenticationStateAsync()).User.FindFirstValue(DashboardServices.IpClaim);
        return string.IsNullOrEmpty(ip) ? null : ip;
    }

    /// <summary>The user's membership of <paramref name="orgId"/> with the org, or null (not signed in, not a member, no such org).</summary>
    public async Task<OrgContext?> OrgAsync(string orgId, CancellationToken ct = default)
    {
        var user = await UserAsync(ct);
        if (user is null)
        {
            return null;
        }

        var row = await _orgs.FindMemberAsync(orgId, user.UserId, ct);
        var org = row is null ? null : await _orgs.FindOrgAsync(orgId, ct);
        if (row is null || org is null)
        {
            return null;
        }

        var member = new OrgMember(row.Id, row.OrgId, row.UserId, row.Role);
        return new OrgContext(user, member, org, RequestAudit.For(_audit, member, user.Email, await IpAsync()));
    }
}

/// <summary>What an org page knows about its viewer: user, membership (role), org, and the audit view for changes.</summary>
public sealed class OrgContext
{
    internal OrgContext(CurrentUser user, OrgMember member, OrgStore.OrgRow org, RequestAudit audit)
    {
        User = user;
        Member = member;
        Org = org;
        Audit = audit;
    }

    internal CurrentUser User { get; }

    internal OrgMember Member { get; }

    internal OrgStore.OrgRow Org { get; }

    internal RequestAudit Audit { get; }

    /// <summary>The org's id.</summary>
    public string OrgId => Member.OrgId;

    /// <summary>The viewer's role.</summary>
    public string Role => Member.Role;

    /// <summary>True when the viewer's role has the capability.</summary>
    internal bool Can(Capability capability) => RolePolicy.Can(Member.Role, capability);
}
