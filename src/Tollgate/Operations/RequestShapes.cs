namespace Tollgate.Operations;

// The bodies of the management routes that read their JSON by hand (to tell an absent field from a
// null one, or to check who may call before what was sent). The handlers read exactly these fields;
// these records only name them for /openapi.json.

/// <summary>One cap of a budget document: <c>type</c>, and <c>limit</c> (USD decimal string), <c>window</c> or <c>value</c> as the type needs.</summary>
/// <param name="Type"><c>fixed</c>, <c>monthly</c> or <c>unlimited</c> (spend); <c>rolling</c> or <c>unlimited</c> (period); <c>limit</c> or <c>unlimited</c> (maxActiveKeys).</param>
/// <param name="Limit">USD decimal string, at most 12 decimals and 1,000,000.</param>
/// <param name="Window"><c>hour</c>, <c>day</c>, <c>week</c> or <c>month</c> (rolling caps).</param>
/// <param name="Value">The number of active keys (maxActiveKeys).</param>
internal sealed record BudgetCapRequest(string Type, string? Limit, string? Window, int? Value);

/// <summary>A member or default budget document: each cap, or <c>null</c> for a cap that is not set.</summary>
internal sealed record BudgetDocumentRequest(BudgetCapRequest? Spend, BudgetCapRequest? Period, BudgetCapRequest? MaxActiveKeys);

/// <summary>A key's budget document: spend and period caps.</summary>
internal sealed record KeyBudgetDocumentRequest(BudgetCapRequest? Spend, BudgetCapRequest? Period);

/// <summary><c>POST /orgs/{orgId}/credits/purchase</c>: the credits to buy, a USD decimal string.</summary>
internal sealed record PurchaseRequest(string Amount);

/// <summary><c>POST .../transactions/{transactionId}/refund</c>: all (no <c>amount</c>) or part of a completed purchase.</summary>
internal sealed record RefundRequest(string? Amount, string Reason, bool? AllowNegativeBalance);

/// <summary><c>PUT /orgs/{orgId}/alerts</c>: an absent URL (or its masked form) keeps the stored one, <c>null</c> removes it.</summary>
internal sealed record AlertSettingsRequest(string? SlackWebhookUrl, string? DiscordWebhookUrl, IReadOnlyList<int>? Thresholds);

/// <summary><c>POST /orgs/{orgId}/master-keys</c>: an optional name (default <c>master key</c>); the body may be absent.</summary>
internal sealed record MasterKeyRequest(string? Name);

/// <summary><c>POST /v1/master/projects</c>.</summary>
internal sealed record MasterProjectRequest(string Name);

/// <summary>
/// <c>POST /v1/master/keys</c> (<c>projectId</c> and <c>name</c> required) and <c>PATCH /v1/master/keys/{keyId}</c>
/// (every field optional; <c>status</c> <c>active</c> or <c>disabled</c>): the key's flat limits.
/// </summary>
/// <param name="BudgetType"><c>unlimited</c>, <c>fixed</c> or <c>monthly</c> (<c>fixed</c> when only <c>usageLimit</c> is given).</param>
/// <param name="PeriodWindow"><c>hour</c>, <c>day</c>, <c>week</c> or <c>month</c>.</param>
internal sealed record MasterKeyKeyRequest(
    string? ProjectId, string? Name, string? Status, string? BudgetType, string? UsageLimit, string? PeriodUsageLimit, string? PeriodWindow);
