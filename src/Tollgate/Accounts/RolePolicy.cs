using System.Collections.Frozen;

namespace Tollgate.Accounts;

/// <summary>
/// The role × capability matrix of <c>roles.md</c>: the one place that decides what a role may do.
/// Handlers ask <see cref="Can"/>; <c>GET /orgs/{orgId}/roles</c> serves <see cref="Describe"/>,
/// drawn from the same table, so what the dashboard shows is what the server enforces.
/// </summary>
internal static class RolePolicy
{
    /// <summary>Every role, highest first.</summary>
    public static readonly IReadOnlyList<string> Roles = [OrgRoles.Owner, OrgRoles.Admin, OrgRoles.Billing, OrgRoles.Developer, OrgRoles.Basic];

    // The matrix. A capability missing from a role's set is denied.
    private static readonly FrozenDictionary<string, FrozenSet<Capability>> Matrix = new Dictionary<string, FrozenSet<Capability>>
    {
        [OrgRoles.Owner] = Enum.GetValues<Capability>().ToFrozenSet(),
        [OrgRoles.Admin] = new[]
        {
            Capability.ViewAllProjects, Capability.ManageProjects, Capability.ViewMembers, Capability.ManageMembers,
            Capability.RemoveMembers, Capability.ManageBudgets, Capability.ViewOwnBudget, Capability.SetOwnKeyBudgets,
            Capability.ManageAllKeys, Capability.ManageOwnKeys, Capability.ListAllKeys, Capability.ViewOrgUsage,
            Capability.ViewMemberUsage, Capability.ManageBilling, Capability.ManageOrgSettings, Capability.ViewAuditLog,
            Capability.ManageMasterKeys,
        }.ToFrozenSet(),
        [OrgRoles.Billing] = new[]
        {
            Capability.ViewAllProjects, Capability.ViewMembers, Capability.ManageBudgets, Capability.ViewOwnBudget,
            Capability.ListAllKeys, Capability.ViewOrgUsage, Capability.ViewMemberUsage, Capability.ManageBilling,
            Capability.ViewAuditLog,
        }.ToFrozenSet(),
        [OrgRoles.Developer] = new[]
        {
            Capability.ViewOwnBudget, Capability.SetOwnKeyBudgets, Capability.ManageOwnKeys,
        }.ToFrozenSet(),
        [OrgRoles.Basic] = new[] { Capability.ViewOwnBudget }.ToFrozenSet(),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly FrozenDictionary<Capability, string> Descriptions = new Dictionary<Capability, string>
    {
        [Capability.ViewAllProjects] = "See all projects (others see only granted projects).",
        [Capability.ManageProjects] = "Create, rename and delete projects.",
        [Capability.ViewMembers] = "See the member list: names, emails, roles, projects (others see only themselves).",
        [Capability.ManageMembers] = "Invite members, change roles, grant projects (not owners, and cannot make owners, without owner rights).",
        [Capability.RemoveMembers] = "Remove members (not owners, without owner rights).",
        [Capability.ManageOwners] = "Invite, change and remove owners; make members owners.",
        [Capability.ManageBudgets] = "View and edit budgets of every member and key, and the default developer limits.",
        [Capability.ViewOwnBudget] = "View own budget, limits and remaining allowance.",
        [Capability.SetOwnKeyBudgets] = "Set budgets on own keys, within the member budget.",
        [Capability.ManageAllKeys] = "Create, rotate, disable and delete any API key.",
        [Capability.ManageOwnKeys] = "Create, rotate, disable and delete own API keys, in granted projects.",
        [Capability.ListAllKeys] = "List all API keys (never their secrets); others list their own.",
        [Capability.ViewOrgUsage] = "Usage and analytics of the whole org; others see their own usage only.",
        [Capability.ViewMemberUsage] = "Per-member cost, tokens, requests and keys columns on the Team page.",
        [Capability.ManageBilling] = "Transactions, credits, invoices, refunds.",
        [Capability.ManageOrgSettings] = "Provider keys, routing and org settings.",
        [Capability.ViewAuditLog] = "Audit log.",
        [Capability.ManageMasterKeys] = "Master keys.",
        [Capability.DeleteOrg] = "Delete the org, transfer ownership.",
    }.ToFrozenDictionary();

    /// <summary>True when <paramref name="role"/> has <paramref name="capability"/>; unknown roles have nothing.</summary>
    public static bool Can(string role, Capability capability) =>
        Matrix.TryGetValue(role, out var capabilities) && capabilities.Contains(capability);

    /// <summary>True for roles that see only the projects granted to them (developer, basic).</summary>
    public static bool IsProjectScoped(string role) => !Can(role, Capability.ViewAllProjects);

    /// <summary>True for a known role name.</summary>
    public static bool IsRole(string? role) => role is not null && Matrix.ContainsKey(role);

    /// <summary>The wire name of a capability: <c>ManageAllKeys</c> → <c>manage_all_keys</c>.</summary>
    public static string WireName(Capability capability) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(capability.ToString());

    /// <summary>The matrix as <c>GET /orgs/{orgId}/roles</c> serves it.</summary>
    internal static RolesResponse Describe() => new(
        [.. Roles.Select(role => new RoleResponse(role, [.. Enum.GetValues<Capability>().Where(c => Can(role, c)).Select(WireName)]))],
        [.. Enum.GetValues<Capability>().Select(c => new CapabilityResponse(
            WireName(c), Descriptions[c], PlanPolicy.RequiredPlan(c), Roles.ToDictionary(r => r, r => Can(r, c), StringComparer.Ordinal)))]);
}
