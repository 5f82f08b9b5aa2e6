using System.Text.Json;
using System.Text.RegularExpressions;
using Tollgate.Accounts;
using Tollgate.Audit;
using Tollgate.Hosting;
using Tollgate.Providers;

namespace Tollgate.ProviderKeys;

/// <summary>
/// Org provider keys (bring your own key), for the API and the dashboard alike: owners and admins
/// list, add, rotate and delete them; every change is audited (with the masked hint, never the
/// secret). The credential is sealed before it is stored and never returned. A change is seen by
/// this node's gateway at once and by other nodes within <see cref="OrgProviderKeys.CacheTtl"/>.
/// </summary>
internal sealed partial class ProviderKeyService(
    ProviderKeyStore store, SecretBox box, BaseUrlGuard guard, ProviderDirectory providers, OrgProviderKeys runtime, TimeProvider time)
{
    /// <summary>404 detail for a key that is not the org's.</summary>
    public const string NotFoundMessage = "Provider key not found.";

    private const string ForbiddenMessage = "Only owners and admins can see and change the org's provider keys.";

    /// <summary>Longest accepted credential field (a service-account JSON is a few kilobytes).</summary>
    private const int MaxSecretLength = 64 * 1024;

    /// <summary>The org's keys.</summary>
    public async Task<Outcome<List<ProviderKeyRow>>> ListAsync(OrgMember caller, CancellationToken ct)
    {
        if (!RolePolicy.Can(caller.Role, Capability.ManageOrgSettings))
        {
            return AccountProblems.Forbidden(ForbiddenMessage);
        }

        return await store.ListAsync(caller.OrgId, ct);
    }

    /// <summary>One key of the org.</summary>
    public async Task<Outcome<ProviderKeyRow>> GetAsync(OrgMember caller, string id, CancellationToken ct)
    {
        if (!RolePolicy.Can(caller.Role, Capability.ManageOrgSettings))
        {
            return AccountProblems.Forbidden(ForbiddenMessage);
        }

        return await store.FindAsync(caller.OrgId, id, ct) is { } row ? row : AccountProblems.NotFound(NotFoundMessage);
    }

    /// <summary>Adds a key.</summary>
    public async Task<Outcome<ProviderKeyRow>> CreateAsync(OrgMember caller, RequestAudit audit, ProviderKeyRequest body, CancellationToken ct)
    {
        if (!RolePolicy.Can(caller.Role, Capability.ManageOrgSettings))
        {
            return AccountProblems.Forbidden(ForbiddenMessage);
        }

        var errors = new FieldErrors();
        var endpoint = ProviderOf(errors, body.Provider);
        var name = errors.Name("name", body.Name);
        var credential = endpoint is null ? null : Validate(errors, endpoint, body, existing: null, existingRow: null);
        var baseUrl = await BaseUrlAsync(errors, body.BaseUrl, ct);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var id = Ids.New("pk", time);
        var row = new ProviderKeyRow(id, caller.OrgId, endpoint!.Name, name!, baseUrl, credential!.Value.Hint,
            credential.Value.Region, credential.Value.ProjectId, credential.Value.Location,
            box.Seal(JsonSerializer.Serialize(credential.Value.Secret, ProviderCredentialJson.Default.ProviderCredential), id), now, now);
        await store.InsertAsync(row, ct);
        runtime.Invalidate(caller.OrgId);
        await audit.RecordAsync("provider_key.create", new AuditTarget("provider_key", id), null, AuditView(row), ct);
        return row;
    }

    /// <summary>Renames, re-points or rotates a key.</summary>
    public async Task<Outcome<ProviderKeyRow>> UpdateAsync(OrgMember caller, RequestAudit audit, string id, ProviderKeyRequest body, CancellationToken ct)
    {
        if (!RolePolicy.Can(caller.Role, Capability.ManageOrgSettings))
        {
            return AccountProblems.Forbidden(ForbiddenMessage);
        }

        var row = await store.FindAsync(caller.OrgId, id, ct);
        if (row is null)
        {
            return AccountProblems.NotFound(NotFoundMessage);
        }

        var errors = new FieldErrors();
        if (body.Provider is not null && body.Provider != row.Provider)
        {
            errors.Add("provider", "provider cannot change; add a new key for another provider.");
        }

        var name = body.Name is null ? row.Name : errors.Name("name", body.Name);
        var endpoint = providers.Get(row.Provider);
        var existing = box.Open(row.Sealed, row.Id);
        if (endpoint is null || existing is null)
        {
            return AccountProblems.NotFound(NotFoundMessage);
        }

        var credential = Validate(errors, endpoint, body, JsonSerializer.Deserialize(existing, ProviderCredentialJson.Default.ProviderCredential), row);
        var baseUrl = body.BaseUrl is null ? row.BaseUrl : body.BaseUrl.Length == 0 ? null : await BaseUrlAsync(errors, body.BaseUrl, ct);
        if (errors.Any)
        {
            return errors.ToProblem();
        }

        var rotated = body.ApiKey is not null || body.AccessKeyId is not null || body.SecretAccessKey is not null
            || body.SessionToken is not null || body.ServiceAccountJson is not null;
        var updated = row with
        {
            Name = name!,
            BaseUrl = baseUrl,
            Hint = credential!.Value.Hint,
            Region = credential.Value.Region,
            ProjectId = credential.Value.ProjectId,
            Location = credential.Value.Location,
            Sealed = rotated ? box.Seal(JsonSerializer.Serialize(credential.Value.Secret, ProviderCredentialJson.Default.ProviderCredential), id) : row.Sealed,
            UpdatedAt = time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        if (!await store.UpdateAsync(updated, ct))
        {
            return AccountProblems.NotFound(NotFoundMessage);
        }

        runtime.Invalidate(caller.OrgId);
        await audit.RecordAsync(rotated ? "provider_key.rotate" : "provider_key.update", new AuditTarget("provider_key", id), AuditView(row), AuditView(updated), ct);
        return updated;
    }

    /// <summary>Deletes a key: requests for its provider go back to the server's key, if any.</summary>
    public async Task<Outcome<Done>> DeleteAsync(OrgMember caller, RequestAudit audit, string id, CancellationToken ct)
    {
        if (!RolePolicy.Can(caller.Role, Capability.ManageOrgSettings))
        {
            return AccountProblems.Forbidden(ForbiddenMessage);
        }

        var row = await store.FindAsync(caller.OrgId, id, ct);
        if (row is null || !await store.DeleteAsync(caller.OrgId, id, ct))
        {
            return AccountProblems.NotFound(NotFoundMessage);
        }

        runtime.Invalidate(caller.OrgId);
        await audit.RecordAsync("provider_key.delete", new AuditTarget("provider_key", id), AuditView(row), null, ct);
        return Done.Value;
    }

    /// <summary>The masked form of an API key: enough to recognise it, never enough to use it (<c>sk-…abcd</c>).</summary>
    public static string Mask(string secret) => secret.Length switch
    {
        >= 16 => $"{secret[..3]}…{secret[^4..]}",
        >= 8 => $"…{secret[^2..]}",
        _ => "…",
    };

    private static object AuditView(ProviderKeyRow row) => new { row.Provider, row.Name, row.BaseUrl, row.Hint, row.Region, row.ProjectId, row.Location };

    private ProviderEndpoint? ProviderOf(FieldErrors errors, string? provider)
    {
        if (string.IsNullOrWhiteSpace(provider))
        {
            errors.Add("provider", "provider is required.");
            return null;
        }

        if (providers.Get(provider) is not { } endpoint || endpoint.Protocol == ProviderProtocol.Demo)
        {
            var known = string.Join(", ", providers.Endpoints.Where(e => e.Protocol != ProviderProtocol.Demo).Select(e => e.Name).Order(StringComparer.Ordinal));
            errors.Add("provider", $"provider '{provider}' is not a provider this server knows ({known}).");
            return null;
        }

        return endpoint;
    }

    private async Task<string?> BaseUrlAsync(FieldErrors errors, string? baseUrl, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(baseUrl))
        {
            return null;
        }

        if (await guard.CheckAsync(baseUrl.Trim(), ct) is { } problem)
        {
            errors.Add("baseUrl", problem);
            return null;
        }

        return baseUrl.Trim().TrimEnd('/');
    }

    /// <summary>
    /// The credential of <paramref name="body"/> for the provider's protocol, merged over
    /// <paramref name="existing"/> (PATCH); errors name each missing or malformed part.
    /// </summary>
    private static ValidCredential? Validate(FieldErrors errors, ProviderEndpoint endpoint, ProviderKeyRequest body, ProviderCredential? existing, ProviderKeyRow? existingRow)
    {
        var provider = endpoint.Name;
        void NotFor(string field, string? value)
        {
            if (value is not null)
            {
                errors.Add(field, $"{field} does not apply to {provider}.");
            }
        }

        string? Secret(string field, string? value, string? current)
        {
            if (value is null)
            {
                if (current is null)
                {
                    errors.Add(field, $"{field} is required for {provider}.");
                }

                return current;
            }

            value = value.Trim();
            if (value.Length == 0 || value.Length > MaxSecretLength || (value.Any(char.IsControl) && field != "serviceAccountJson"))
            {
                errors.Add(field, value.Length == 0 ? $"{field} is required for {provider}." : $"{field} is not a valid credential.");
                return null;
            }

            return value;
        }

        switch (endpoint.Protocol)
        {
            case ProviderProtocol.Bedrock:
            {
                NotFor("apiKey", body.ApiKey);
                NotFor("serviceAccountJson", body.ServiceAccountJson);
                NotFor("projectId", body.ProjectId);
                NotFor("location", body.Location);
                var accessKeyId = Secret("accessKeyId", body.AccessKeyId, existing?.AccessKeyId);
                var secretAccessKey = Secret("secretAccessKey", body.SecretAccessKey, existing?.SecretAccessKey);
                var sessionToken = SessionToken(errors, body, existing);
                var region = body.Region?.Trim() ?? existingRow?.Region;
                if (string.IsNullOrEmpty(region))
                {
                    errors.Add("region", $"region is required for {provider} (e.g. us-east-1).");
                }
                else if (!AwsRegion().IsMatch(region))
                {
                    errors.Add("region", $"region '{region}' is not an AWS region name (e.g. us-east-1).");
                }

                if (errors.Any || accessKeyId is null)
                {
                    return null;
                }

                // An access key id is an identifier, not the secret; still only its ends are shown.
                var hint = accessKeyId.Length >= 12 ? $"{accessKeyId[..4]}…{accessKeyId[^4..]}" : "…";
                return new ValidCredential(new ProviderCredential(null, accessKeyId, secretAccessKey, null, sessionToken), hint, region, null, null);
            }

            case ProviderProtocol.Vertex:
            {
                NotFor("apiKey", body.ApiKey);
                NotFor("accessKeyId", body.AccessKeyId);
                NotFor("secretAccessKey", body.SecretAccessKey);
                NotFor("sessionToken", body.SessionToken);
                NotFor("region", body.Region);
                var json = Secret("serviceAccountJson", body.ServiceAccountJson, existing?.ServiceAccountJson);
                var account = json is null ? null : ServiceAccount(errors, json);
                var projectId = body.ProjectId?.Trim() ?? existingRow?.ProjectId ?? account?.ProjectId;
                if (string.IsNullOrEmpty(projectId))
                {
                    errors.Add("projectId", $"projectId is required for {provider} (the service account names none).");
                }

                var location = body.Location?.Trim() ?? existingRow?.Location;
                if (string.IsNullOrEmpty(location))
                {
                    errors.Add("location", $"location is required for {provider} (e.g. us-central1 or global).");
                }
                else if (!VertexLocation().IsMatch(location))
                {
                    errors.Add("location", $"location '{location}' is not a Vertex AI location (e.g. us-central1 or global).");
                }

                return errors.Any ? null : new ValidCredential(new ProviderCredential(null, null, null, json), account!.Value.Email, null, projectId, location);
            }

            default:
            {
                NotFor("accessKeyId", body.AccessKeyId);
                NotFor("secretAccessKey", body.SecretAccessKey);
                NotFor("sessionToken", body.SessionToken);
                NotFor("region", body.Region);
                NotFor("serviceAccountJson", body.ServiceAccountJson);
                NotFor("projectId", body.ProjectId);
                NotFor("location", body.Location);
                var apiKey = Secret("apiKey", body.ApiKey, existing?.ApiKey);
                return errors.Any ? null : new ValidCredential(new ProviderCredential(apiKey, null, null, null), Mask(apiKey!), null, null, null);
            }
        }
    }

    /// <summary>
    /// The AWS session token of temporary credentials: the one sent, an empty one removes it; none sent
    /// keeps the stored one unless the access key id changes (a token is only valid with its own key pair).
    /// </summary>
    private static string? SessionToken(FieldErrors errors, ProviderKeyRequest body, ProviderCredential? existing)
    {
        if (body.SessionToken is null)
        {
            return body.AccessKeyId is null ? existing?.SessionToken : null;
        }

        var token = body.SessionToken.Trim();
        if (token.Length > MaxSecretLength || token.Any(char.IsControl))
        {
            errors.Add("sessionToken", "sessionToken is not a valid credential.");
            return null;
        }

        return token.Length == 0 ? null : token;
    }

    /// <summary>The parts of a Google service-account key file that must be there for the JWT grant.</summary>
    private static (string Email, string? ProjectId)? ServiceAccount(FieldErrors errors, string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.Add("serviceAccountJson", "serviceAccountJson must be a JSON object (a service account key file).");
                return null;
            }

            string? Str(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            if (Str("type") != "service_account")
            {
                errors.Add("serviceAccountJson", "serviceAccountJson must be a service account key file (\"type\": \"service_account\").");
                return null;
            }

            var email = Str("client_email");
            var key = Str("private_key");
            if (string.IsNullOrEmpty(email) || string.IsNullOrEmpty(key) || !key.Contains("PRIVATE KEY", StringComparison.Ordinal))
            {
                errors.Add("serviceAccountJson", "serviceAccountJson must carry client_email and private_key.");
                return null;
            }

            return (email, Str("project_id"));
        }
        catch (JsonException ex)
        {
            errors.Add("serviceAccountJson", $"serviceAccountJson is not valid JSON: {ex.Message}");
            return null;
        }
    }

    [GeneratedRegex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]+$")]
    private static partial Regex AwsRegion();

    [GeneratedRegex("^(global|[a-z]+-[a-z]+[0-9]+)$")]
    private static partial Regex VertexLocation();

    private readonly record struct ValidCredential(ProviderCredential Secret, string Hint, string? Region, string? ProjectId, string? Location);
}
