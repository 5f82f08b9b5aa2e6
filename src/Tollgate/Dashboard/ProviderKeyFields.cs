namespace Tollgate.Dashboard;

/// <summary>
/// What the provider key dialog sends: the fields of <c>POST</c>/<c>PATCH /orgs/{orgId}/provider-keys</c>,
/// null for a field not sent. The page hands them to the provider-key service unchanged.
/// </summary>
public sealed record ProviderKeyFields(
    string? Provider, string? Name, string? ApiKey, string? AccessKeyId, string? SecretAccessKey, string? Region,
    string? ServiceAccountJson, string? ProjectId, string? Location, string? BaseUrl)
{
    /// <summary>The service's request.</summary>
    internal Tollgate.ProviderKeys.ProviderKeyRequest ToRequest() =>
        new(Provider, Name, ApiKey, AccessKeyId, SecretAccessKey, Region, ServiceAccountJson, ProjectId, Location, BaseUrl);
}
