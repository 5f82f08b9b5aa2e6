using System.Text.Json.Serialization;

namespace Tollgate.Budgets;

/// <summary>
/// One cap as the API shows it. <c>type</c> is always there; the rest only where the cap has it: a spend
/// limit's <c>limit</c> and <c>countingFrom</c>, a rolling cap's <c>limit</c> and <c>window</c>, a key
/// count's <c>value</c>, and in an effective view the <c>source</c> it comes from (<c>member</c>,
/// <c>default</c> or <c>none</c>).
/// </summary>
internal sealed record BudgetCapResponse(
    string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Limit = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CountingFrom = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Window = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Value = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Source = null);

/// <summary>A budget document: each cap, or <c>null</c> when it is not set.</summary>
internal sealed record BudgetDocumentResponse(BudgetCapResponse? Spend, BudgetCapResponse? Period, BudgetCapResponse? MaxActiveKeys);

/// <summary>The caps a member is held to, each with its <c>source</c>.</summary>
internal sealed record EffectiveCapsResponse(BudgetCapResponse Spend, BudgetCapResponse Period, BudgetCapResponse MaxActiveKeys);

/// <summary>One money cap's numbers as admission enforces them (<c>limit</c>, <c>remaining</c>, <c>resetsAt</c> null when the cap is not set).</summary>
internal sealed record CapUsageResponse(string? Limit, string Used, string Reserved, string? Remaining, string? ResetsAt);

/// <summary>A member's usage against each cap, and the active keys counted against <c>maxActiveKeys</c>.</summary>
internal sealed record BudgetUsageResponse(CapUsageResponse Spend, CapUsageResponse Period, long ActiveKeys);

/// <summary><c>GET /orgs/{orgId}/members/{memberId}/budget</c>: configured and effective caps, usage, and <c>active</c> or <c>paused</c>.</summary>
internal sealed record MemberBudgetResponse(BudgetDocumentResponse Configured, EffectiveCapsResponse Effective, BudgetUsageResponse Usage, string Status);

/// <summary>One row of <c>GET /orgs/{orgId}/budgets</c>.</summary>
internal sealed record BudgetListRow(
    string MemberId, string Name, string Email, string Role, BudgetDocumentResponse Configured, EffectiveCapsResponse Effective,
    BudgetUsageResponse Usage, string? ResetsAt, string Status);

/// <summary>The key usage document of api.md (<c>GET /v1/key</c>, key budgets, master keys).</summary>
internal sealed record KeyUsageResponse(
    string Id, string Name, string? BudgetType, string? UsageLimit, string Usage, string? UsageResetAt, string? PeriodUsageLimit,
    string? PeriodWindow, string? CurrentPeriodUsage, string? CurrentPeriodResetAt, string? MemberRemaining);

/// <summary>
/// <c>POST /v1/master/keys</c>: the key usage document of the new key with its secret (<c>key</c>, shown
/// once) and its <c>projectId</c>.
/// </summary>
internal sealed record MasterKeyCreatedResponse(
    string Id, string Name, string? BudgetType, string? UsageLimit, string Usage, string? UsageResetAt, string? PeriodUsageLimit,
    string? PeriodWindow, string? CurrentPeriodUsage, string? CurrentPeriodResetAt, string? MemberRemaining, string Key, string ProjectId)
{
    /// <summary>The usage document of a key just made, with its secret and project.</summary>
    public static MasterKeyCreatedResponse From(KeyUsageResponse usage, string key, string projectId) => new(
        usage.Id, usage.Name, usage.BudgetType, usage.UsageLimit, usage.Usage, usage.UsageResetAt, usage.PeriodUsageLimit,
        usage.PeriodWindow, usage.CurrentPeriodUsage, usage.CurrentPeriodResetAt, usage.MemberRemaining, key, projectId);
}

/// <summary>A master key as <c>GET /orgs/{orgId}/master-keys</c> lists it.</summary>
internal sealed record MasterKeyResponse(string Id, string Name, string Prefix, string CreatedAt, string? RevokedAt);

/// <summary><c>POST /orgs/{orgId}/master-keys</c>: the new master key with its secret (<c>key</c>, shown once).</summary>
internal sealed record MasterKeyCreated(string Id, string Key, string Prefix, string Name, string CreatedAt);

/// <summary>A project as <c>/v1/master/projects</c> shows it.</summary>
internal sealed record MasterProjectResponse(string Id, string Name, string CreatedAt);
