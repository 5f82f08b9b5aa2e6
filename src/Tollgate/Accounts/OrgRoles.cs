namespace Tollgate.Accounts;

/// <summary>The member roles of an org (see <c>roles.md</c>).</summary>
internal static class OrgRoles
{
    /// <summary>Everything, including deleting the org.</summary>
    public const string Owner = "owner";

    /// <summary>Everything except owner-only actions.</summary>
    public const string Admin = "admin";

    /// <summary>Budgets, billing and usage; no keys.</summary>
    public const string Billing = "billing";

    /// <summary>Own keys in granted projects.</summary>
    public const string Developer = "developer";

    /// <summary>Sees own usage only.</summary>
    public const string Basic = "basic";
}
