using Tollgate.Accounts;

namespace Tollgate.Dashboard;

/// <summary>Where a member lands in an org: owners, admins and billing on Team; developers and basic members on My usage.</summary>
public static class Landing
{
    /// <summary>The landing path for <paramref name="role"/> in <paramref name="orgId"/>.</summary>
    public static string Path(string orgId, string role) =>
        $"/dashboard/orgs/{orgId}/" + (RolePolicy.Can(role, Capability.ManageBudgets) ? "team" : "me");
}
