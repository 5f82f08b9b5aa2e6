namespace Tollgate.Accounts;

/// <summary>An org's plan, and the features each plan has (<c>roles.md</c>, "Plans").</summary>
internal static class PlanPolicy
{
    /// <summary>The plans, lowest first.</summary>
    public static readonly IReadOnlyList<string> Plans = ["free", "pro", "enterprise"];

    /// <summary>The problem code of a feature the plan lacks.</summary>
    public const string PlanRequiredCode = "plan_required";

    /// <summary>Plan-gated features.</summary>
    public enum Feature
    {
        /// <summary>The project-scoped developer role.</summary>
        ProjectScopedDeveloper,

        /// <summary>Per-member cost, tokens, requests and keys columns; member analytics.</summary>
        MemberUsage,

        /// <summary>The master-keys API.</summary>
        MasterKeys,

        /// <summary>Audit log export (<c>format=csv</c>).</summary>
        AuditLogExport,
    }

    /// <summary>The lowest plan that has <paramref name="feature"/>.</summary>
    public static string RequiredPlan(Feature feature) => feature switch
    {
        Feature.ProjectScopedDeveloper or Feature.MemberUsage or Feature.MasterKeys or Feature.AuditLogExport => "enterprise",
        _ => "free",
    };

    /// <summary>True when an org on <paramref name="plan"/> has <paramref name="feature"/>.</summary>
    public static bool Has(string plan, Feature feature) => Rank(plan) >= Rank(RequiredPlan(feature));

    /// <summary>The plan a capability itself needs, for the roles document (null: every plan).</summary>
    internal static string? RequiredPlan(Capability capability) => capability switch
    {
        Capability.ViewMemberUsage => RequiredPlan(Feature.MemberUsage),
        Capability.ManageMasterKeys => RequiredPlan(Feature.MasterKeys),
        _ => null,
    };

    /// <summary>403 <c>plan_required</c> naming the plan needed, or null when the plan has the feature.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Require(string plan, Feature feature) =>
        Has(plan, feature) ? null : AccountProblems.PlanRequired(RequiredPlan(feature));

    private static int Rank(string plan) => plan switch { "enterprise" => 2, "pro" => 1, _ => 0 };
}
