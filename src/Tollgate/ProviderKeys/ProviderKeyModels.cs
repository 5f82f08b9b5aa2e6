using System.Text.Json.Serialization;

namespace Tollgate.ProviderKeys;

// The wire shapes of /orgs/{orgId}/provider-keys (api.md, "Provider keys and alerts").

/// <summary>
/// <c>POST</c> and <c>PATCH /orgs/{orgId}/provider-keys[/{id}]</c>: the provider, a display name, the
/// credential its protocol takes (<c>apiKey</c>; Bedrock <c>accessKeyId</c> + <c>secretAccessKey</c> +
/// <c>region</c>, and <c>sessionToken</c> for temporary credentials; Vertex <c>serviceAccountJson</c> + <c>projectId</c> + <c>location</c>) and an optional
/// <c>baseUrl</c>. On PATCH every field is optional; credential fields replace the stored ones
/// (rotation), an empty <c>baseUrl</c> goes back to the provider's default, and the provider cannot change.
/// A session token belongs to one temporary key pair: a PATCH that sends a new <c>accessKeyId</c> without
/// a <c>sessionToken</c> drops the stored token, and an empty <c>sessionToken</c> removes it.
/// </summary>
internal sealed record ProviderKeyRequest(
    string? Provider, string? Name, string? ApiKey, string? AccessKeyId, string? SecretAccessKey, string? Region,
    string? ServiceAccountJson, string? ProjectId, string? Location, string? BaseUrl, string? SessionToken = null);

/// <summary>A provider key as the API shows it: never the secret, only <see cref="Hint"/>.</summary>
internal sealed record ProviderKeyResponse(
    string Id, string Provider, string Name, string? BaseUrl, string Hint,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Region,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ProjectId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Location,
    string CreatedAt, string UpdatedAt);

/// <summary>The sealed part of a provider key: what must never be shown or stored in the clear.</summary>
internal sealed record ProviderCredential(
    string? ApiKey, string? AccessKeyId, string? SecretAccessKey, string? ServiceAccountJson, string? SessionToken = null);

/// <summary>The JSON of the sealed credential.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProviderCredential))]
internal sealed partial class ProviderCredentialJson : JsonSerializerContext;
