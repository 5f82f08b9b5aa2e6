using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tollgate.Accounts;

// The wire shapes of the accounts API (api.md: "Sign-in", "Orgs and projects", "API keys"),
// kept together because together they are the contract. Requests accept unknown fields.

/// <summary>A page of a list: <c>{ "data": [...], "nextCursor": null | "..." }</c>.</summary>
internal sealed record Page<T>(IReadOnlyList<T> Data, string? NextCursor);

/// <summary><c>POST /auth/signup</c>.</summary>
internal sealed record SignupRequest(string? Email, string? Password, string? Name);

/// <summary><c>POST /auth/login</c>.</summary>
internal sealed record LoginRequest(string? Email, string? Password);

/// <summary>A user as the API shows it.</summary>
internal sealed record UserResponse(string Id, string Email, string Name);

/// <summary>201 from <c>POST /auth/signup</c>.</summary>
internal sealed record SignupResponse(UserResponse User);

/// <summary>200 from <c>POST /auth/login</c>.</summary>
internal sealed record LoginResponse(string Token, UserResponse User, string ExpiresAt);

/// <summary>One of the caller's memberships.</summary>
internal sealed record MembershipResponse(string OrgId, string MemberId, string Role);

/// <summary><c>GET /me</c>.</summary>
internal sealed record MeResponse(UserResponse User, IReadOnlyList<MembershipResponse> Memberships);

/// <summary><c>POST /orgs</c>.</summary>
internal sealed record CreateOrgRequest(string? Name);

/// <summary>
/// <c>PATCH /orgs/{orgId}</c>; absent fields are left as they are. <see cref="TaxRate"/> is a
/// <see cref="JsonElement"/> so that absent, <c>null</c> (cleared), a number and a decimal string can be told apart.
/// </summary>
internal sealed record UpdateOrgRequest(string? Name, string? BillingMode, JsonElement TaxRate, BillingDetails? Billing);

/// <summary>The org's billing details; in a <c>PATCH</c>, absent fields are left as they are.</summary>
internal sealed record BillingDetails(string? Email, string? Company, string? Address, string? Country, string? TaxId, string? Notes);

/// <summary>
/// An org. <see cref="TaxRate"/> (a fraction as a decimal string: <c>"0.19"</c>) and
/// <see cref="Billing"/> are shown to owners, admins and billing members only.
/// </summary>
internal sealed record OrgResponse(
    string Id,
    string Name,
    string Plan,
    string BillingMode,
    string CreatedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TaxRate = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] BillingDetails? Billing = null);

/// <summary><c>POST /orgs/{orgId}/projects</c> and <c>PATCH .../projects/{projectId}</c>.</summary>
internal sealed record ProjectRequest(string? Name, string? Routing = null);

/// <summary>A project.</summary>
internal sealed record ProjectResponse(string Id, string OrgId, string Name, string CreatedAt, string Routing);

/// <summary><c>POST /orgs/{orgId}/keys</c>. <c>budget</c> is accepted and, until key budgets exist, ignored.</summary>
internal sealed record CreateKeyRequest(string? ProjectId, string? Name, string? ExpiresAt, JsonElement Budget);

/// <summary>
/// <c>PATCH /orgs/{orgId}/keys/{keyId}</c>. <see cref="ExpiresAt"/> is a <see cref="JsonElement"/> so
/// that absent (leave as is), <c>null</c> (never expires) and a time can be told apart.
/// </summary>
internal sealed record UpdateKeyRequest(string? Name, string? Status, JsonElement ExpiresAt);

/// <summary>
/// An API key. <see cref="Key"/>, the secret, is set only in the answers to create and rotate;
/// it is never stored, so no other answer can contain it.
/// </summary>
internal sealed record KeyResponse(
    string Id,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Key,
    string Prefix,
    string Name,
    string OrgId,
    string ProjectId,
    string MemberId,
    string Status,
    string? ExpiresAt,
    string CreatedAt,
    string UpdatedAt,
    string? LastUsedAt);

/// <summary><c>GET /orgs/{orgId}/roles</c>: the role × capability matrix the server enforces.</summary>
internal sealed record RolesResponse(IReadOnlyList<RoleResponse> Roles, IReadOnlyList<CapabilityResponse> Capabilities);

/// <summary>A role and the capabilities it has.</summary>
internal sealed record RoleResponse(string Role, IReadOnlyList<string> Capabilities);

/// <summary>A capability, what it allows, the plan it needs (null: any) and which roles have it.</summary>
internal sealed record CapabilityResponse(string Capability, string Description, string? Plan, IReadOnlyDictionary<string, bool> Roles);

/// <summary>A member's usage over the asked range: money as a decimal string.</summary>
internal sealed record MemberUsageResponse(string Cost, long InputTokens, long OutputTokens, long Requests, long ActiveKeys, string From, string To);

/// <summary>
/// A member. <see cref="Budget"/> is left out until the budget code fills it; <see cref="Usage"/> is
/// present for owner, admin and billing on the enterprise plan (and for the member's own record).
/// </summary>
internal sealed record MemberResponse(
    string MemberId,
    string UserId,
    string Name,
    string Email,
    string Role,
    IReadOnlyList<string> ProjectIds,
    string JoinedAt,
    string RoleSince,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Tollgate.Budgets.MemberBudgetResponse? Budget,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] MemberUsageResponse? Usage);

/// <summary><c>PATCH /orgs/{orgId}/members/{memberId}</c>; absent fields are left as they are.</summary>
internal sealed record UpdateMemberRequest(string? Role, string[]? ProjectIds);

/// <summary><c>POST /orgs/{orgId}/invites</c>.</summary>
/// <remarks>
/// <see cref="Budget"/> (optional) is the new member's caps, in the shape of
/// <c>PUT /orgs/{orgId}/members/{memberId}/budget</c>; validated at once, applied when the invite is accepted.
/// </remarks>
internal sealed record CreateInviteRequest(string? Email, string? Role, string[]? ProjectIds, System.Text.Json.JsonElement? Budget = null);

/// <summary>An invite. <see cref="Token"/> is set only in the answer to create.</summary>
internal sealed record InviteResponse(
    string Id,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Token,
    string OrgId,
    string Email,
    string Role,
    IReadOnlyList<string> ProjectIds,
    string Status,
    string CreatedAt,
    string ExpiresAt,
    string? AcceptedMemberId,
    Tollgate.Budgets.BudgetDocumentResponse? Budget);

/// <summary>200 from <c>POST /invites/{token}/accept</c>: the new membership.</summary>
internal sealed record AcceptInviteResponse(string OrgId, string MemberId, string Role, IReadOnlyList<string> ProjectIds);
