namespace Tollgate.Accounts;

/// <summary>What a member may do in an org. <see cref="RolePolicy"/> says which role has which; see <c>roles.md</c>.</summary>
internal enum Capability
{
    /// <summary>See every project of the org (others see only the projects granted to them).</summary>
    ViewAllProjects,

    /// <summary>Create, rename and delete projects.</summary>
    ManageProjects,

    /// <summary>See the whole member list (others see only themselves).</summary>
    ViewMembers,

    /// <summary>Invite members, change roles, grant projects (of members who are not owners, and never make owners, unless also <see cref="ManageOwners"/>).</summary>
    ManageMembers,

    /// <summary>Remove members (not owners, unless also <see cref="ManageOwners"/>).</summary>
    RemoveMembers,

    /// <summary>Invite, change, demote and remove owners, and make members owners.</summary>
    ManageOwners,

    /// <summary>View and edit the budgets of every member and key, and the default developer limits.</summary>
    ManageBudgets,

    /// <summary>View one's own budget, limits and remaining allowance.</summary>
    ViewOwnBudget,

    /// <summary>Set budgets on one's own keys, within one's own member budget.</summary>
    SetOwnKeyBudgets,

    /// <summary>Create, rotate, disable and delete any API key.</summary>
    ManageAllKeys,

    /// <summary>Create, rotate, disable and delete one's own API keys, in granted projects.</summary>
    ManageOwnKeys,

    /// <summary>List every API key of the org (secrets are never shown).</summary>
    ListAllKeys,

    /// <summary>Usage and analytics of the whole org (others see their own usage only).</summary>
    ViewOrgUsage,

    /// <summary>The Team page's per-member cost, tokens, requests and keys columns.</summary>
    ViewMemberUsage,

    /// <summary>Transactions, credits, invoices, refunds.</summary>
    ManageBilling,

    /// <summary>Provider keys, routing and org settings.</summary>
    ManageOrgSettings,

    /// <summary>Read, export and verify the audit log.</summary>
    ViewAuditLog,

    /// <summary>Create and revoke master keys.</summary>
    ManageMasterKeys,

    /// <summary>Delete the org, transfer ownership.</summary>
    DeleteOrg,
}
