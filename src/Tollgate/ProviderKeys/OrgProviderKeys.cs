using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Text.Json;
using Tollgate.Providers;

namespace Tollgate.ProviderKeys;

/// <summary>
/// The gateway's view of the orgs' own provider keys: per org, the endpoint each of its keys makes
/// (the server's endpoint for that provider with the org's credential, base URL and
/// <see cref="CredentialSource.Org"/>). Entries live at most <see cref="CacheTtl"/>, so a rotation or
/// deletion on any node is used by every node within a second; a change on this node drops the
/// org's entry at once. One query per org per second, whatever the request rate.
/// </summary>
internal sealed partial class OrgProviderKeys(ProviderKeyStore store, SecretBox box, ProviderDirectory providers, TimeProvider time, ILogger<OrgProviderKeys> logger)
{
    /// <summary>How long an org's keys are used before they are read again (rotation reaches every node within it).</summary>
    public static readonly TimeSpan CacheTtl = TimeSpan.FromSeconds(1);

    private static readonly FrozenDictionary<string, ProviderEndpoint> None = FrozenDictionary<string, ProviderEndpoint>.Empty;

    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);

    /// <summary>The org's endpoints by provider name (empty when it has no keys). Completes synchronously on a fresh entry.</summary>
    public ValueTask<IReadOnlyDictionary<string, ProviderEndpoint>> ForOrgAsync(string orgId, CancellationToken ct)
    {
        if (_cache.TryGetValue(orgId, out var entry) && time.GetElapsedTime(entry.FetchedAt) < CacheTtl)
        {
            return ValueTask.FromResult(entry.Endpoints);
        }

        return LoadAsync(orgId, ct);
    }

    /// <summary>Forgets the org's keys on this node (they changed here).</summary>
    public void Invalidate(string orgId) => _cache.TryRemove(orgId, out _);

    private async ValueTask<IReadOnlyDictionary<string, ProviderEndpoint>> LoadAsync(string orgId, CancellationToken ct)
    {
        var fetchedAt = time.GetTimestamp();
        var rows = await store.ListAsync(orgId, ct).ConfigureAwait(false);
        IReadOnlyDictionary<string, ProviderEndpoint> endpoints = None;
        if (rows.Count > 0)
        {
            var byProvider = new Dictionary<string, ProviderEndpoint>(StringComparer.Ordinal);

            // Oldest first, so with several keys for one provider the newest one serves.
            foreach (var row in rows)
            {
                if (ToEndpoint(row) is { } endpoint)
                {
                    byProvider[row.Provider] = endpoint;
                }
            }

            endpoints = byProvider.ToFrozenDictionary(StringComparer.Ordinal);
        }

        _cache[orgId] = new Entry(endpoints, fetchedAt);
        return endpoints;
    }

    private ProviderEndpoint? ToEndpoint(ProviderKeyRow row)
    {
        if (providers.Get(row.Provider) is not { } server)
        {
            return null; // a provider this server no longer knows
        }

        if (box.Open(row.Sealed, row.Id) is not { } json)
        {
            LogUnreadable(logger, row.Id, row.OrgId);
            return null;
        }

        var credential = JsonSerializer.Deserialize(json, ProviderCredentialJson.Default.ProviderCredential)!;
        return server with
        {
            ApiKey = credential.ApiKey,
            AccessKeyId = credential.AccessKeyId,
            SecretAccessKey = credential.SecretAccessKey,
            SessionToken = credential.SessionToken,
            Region = row.Region,
            ServiceAccountJson = credential.ServiceAccountJson,
            ProjectId = row.ProjectId,
            Location = row.Location,
            BaseUrl = row.BaseUrl ?? server.BaseUrl,
            BaseUrlFromOrg = row.BaseUrl is not null,
            IsConfigured = true,
            Source = CredentialSource.Org,
            OrgProviderKeyId = row.Id,
        };
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Provider key {KeyId} of org {OrgId} does not open with this server's secrets key (Tollgate:Secrets:Key differs between nodes?)")]
    private static partial void LogUnreadable(ILogger logger, string keyId, string orgId);

    private sealed record Entry(IReadOnlyDictionary<string, ProviderEndpoint> Endpoints, long FetchedAt);
}
