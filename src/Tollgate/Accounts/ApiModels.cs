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

/// <summary><c>PATCH /orgs/{orgId}</c>; absent fields are left as they are.</summary>
internal sealed record UpdateOrgRequest(string? Name);

/// <summary>An org.</summary>
internal sealed record OrgResponse(string Id, string Name, string Plan, string BillingMode, string CreatedAt);

/// <summary><c>POST /orgs/{orgId}/projects</c> and <c>PATCH .../projects/{projectId}</c>.</summary>
internal sealed record ProjectRequest(string? Name);

/// <summary>A project.</summary>
internal sealed record ProjectResponse(string Id, string OrgId, string Name, string CreatedAt);

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
    string UpdatedAt);
