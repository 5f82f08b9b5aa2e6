using System.Collections.Concurrent;
using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.Primitives;
using Tollgate.Storage;

namespace Tollgate.Accounts;

/// <summary>
/// Turns the API key of a gateway request into a <see cref="KeyIdentity"/>, or says why not.
/// Runs on every gateway request, so the common case (a key seen in the last second) is a hash
/// and a dictionary lookup, with no allocation and no database round trip:
/// <code>
/// (1) credential from Authorization: Bearer or x-api-key     → Missing
/// (2) kind by prefix: tgk_ is a key; tgs_ / tgm_ are not      → WrongKind, Unknown
/// (3) SHA-256 of the secret, hex
/// (4) cache by hash, entries at most one second old           → hit: decide
/// (5) miss: one query (key, its project, its member and the member's grant), cache it → decide
/// </code>
/// Deciding checks, in order: deleted, disabled, expired (401), then whether a developer or basic
/// owner of the key still holds a grant to its project (403 <see cref="KeyAuthFailure.ProjectAccessRevoked"/>).
/// Changes made on this node (disable, delete, rotate, project deleted, member removed) invalidate
/// the entry at once; other nodes see them when their entry expires, within <see cref="CacheTtl"/>.
/// </summary>
public sealed class ApiKeyAuthenticator
{
    /// <summary>Message for <see cref="KeyAuthFailure.Missing"/>.</summary>
    public const string MissingMessage = "Missing API key. Send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'.";

    /// <summary>Message for <see cref="KeyAuthFailure.Unknown"/>.</summary>
    public const string UnknownMessage = "Invalid API key.";

    /// <summary>Message for <see cref="KeyAuthFailure.Disabled"/>.</summary>
    public const string DisabledMessage = "API key is disabled.";

    /// <summary>Message for <see cref="KeyAuthFailure.Expired"/>.</summary>
    public const string ExpiredMessage = "API key has expired.";

    /// <summary>Message for <see cref="KeyAuthFailure.Deleted"/>.</summary>
    public const string DeletedMessage = "API key has been deleted.";

    /// <summary>Message for <see cref="KeyAuthFailure.WrongKind"/>.</summary>
    public const string WrongKindMessage = "This credential is not an API key; the gateway accepts API keys only.";

    /// <summary>Message for <see cref="KeyAuthFailure.ProjectAccessRevoked"/>.</summary>
    public const string ProjectAccessRevokedMessage = "Your access to this API key's project has been revoked.";

    /// <summary>How long a looked-up key (or the absence of one) is trusted without asking the database.</summary>
    public static readonly TimeSpan CacheTtl = TimeSpan.FromSeconds(1);

    // Beyond this many cached hashes (a flood of made-up keys), expired entries are swept out.
    private const int MaxCachedEntries = 100_000;

    private const string HeaderXApiKey = "x-api-key";

    private static readonly KeyAuthResult Missing = new(null, KeyAuthFailure.Missing, MissingMessage);
    private static readonly KeyAuthResult Unknown = new(null, KeyAuthFailure.Unknown, UnknownMessage);
    private static readonly KeyAuthResult Disabled = new(null, KeyAuthFailure.Disabled, DisabledMessage);
    private static readonly KeyAuthResult Expired = new(null, KeyAuthFailure.Expired, ExpiredMessage);
    private static readonly KeyAuthResult Deleted = new(null, KeyAuthFailure.Deleted, DeletedMessage);
    private static readonly KeyAuthResult WrongKind = new(null, KeyAuthFailure.WrongKind, WrongKindMessage);
    private static readonly KeyAuthResult ProjectAccessRevoked = new(null, KeyAuthFailure.ProjectAccessRevoked, ProjectAccessRevokedMessage);

    private readonly Database _database;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, CachedKey> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CachedKey>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;

    // Invariant: an entry is only ever stored under _writeLock, and only if no invalidation has
    // happened since its database read began (_generation unchanged). Without this, a lookup that
    // read a key just before it was disabled could put the old state back after the invalidation.
    private readonly Lock _writeLock = new();
    private long _generation;

    /// <summary>Creates the authenticator; registered as a singleton, since it owns the cache.</summary>
    public ApiKeyAuthenticator(Database database, TimeProvider time)
    {
        _database = database;
        _time = time;
        _cacheBySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>
    /// Authenticates the request's API key. Completes synchronously when the key is in the cache.
    /// Failures are values; the messages never say whether another org has such a key.
    /// </summary>
    public ValueTask<KeyAuthResult> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        // :: Step 1: the credential
        var credential = ReadCredential(request.Headers);
        if (credential.IsEmpty)
        {
            return ValueTask.FromResult(Missing);
        }

        // :: Step 2: its kind
        if (!credential.StartsWith(Secrets.ApiKeyPrefix, StringComparison.Ordinal))
        {
            var otherKind = credential.StartsWith(Secrets.SessionPrefix, StringComparison.Ordinal)
                || credential.StartsWith(Secrets.MasterKeyPrefix, StringComparison.Ordinal);
            return ValueTask.FromResult(otherKind ? WrongKind : Unknown);
        }

        // :: Step 3: the hash, which is how keys are stored and found
        Span<byte> hash = stackalloc byte[Secrets.HashBytes];
        if (!Secrets.TryHash(credential, hash))
        {
            return ValueTask.FromResult(Unknown);
        }

        Span<char> hashHex = stackalloc char[Secrets.HashBytes * 2];
        Convert.TryToHexStringLower(hash, hashHex, out _);

        // :: Step 4: the cache
        if (_cacheBySpan.TryGetValue(hashHex, out var cached) && _time.GetElapsedTime(cached.FetchedAt) < CacheTtl)
        {
            return ValueTask.FromResult(Decide(cached, hash));
        }

        // :: Step 5: the database
        return LookUpAsync(new string(hashHex), hash.ToArray(), cancellationToken);
    }

    /// <summary>Forgets the key with this secret hash (hex) on this node: the next request reads the database.</summary>
    public void Invalidate(string keyHash)
    {
        lock (_writeLock)
        {
            _generation++;
            _cache.TryRemove(keyHash, out _);
        }
    }

    /// <summary>Forgets every cached key of the project (deleted or access changed).</summary>
    public void InvalidateProject(string projectId) => InvalidateWhere(static (key, id) => key.Identity.ProjectId == id, projectId);

    /// <summary>Forgets every cached key of the member (removed, or role or project grants changed).</summary>
    public void InvalidateMember(string memberId) => InvalidateWhere(static (key, id) => key.Identity.MemberId == id, memberId);

    private void InvalidateWhere(Func<KeyState, string, bool> match, string id)
    {
        lock (_writeLock)
        {
            _generation++;
            foreach (var (hash, entry) in _cache)
            {
                if (entry.Key is { } key && match(key, id))
                {
                    _cache.TryRemove(hash, out _);
                }
            }
        }
    }

    private static ReadOnlySpan<char> ReadCredential(IHeaderDictionary headers)
    {
        var authorization = First(headers.Authorization);
        if (authorization.Length > 7 && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = authorization.AsSpan(7).Trim();
            if (!token.IsEmpty)
            {
                return token;
            }
        }

        return First(headers[HeaderXApiKey]).AsSpan().Trim();
    }

    private static string First(StringValues values) => values.Count > 0 ? values[0] ?? "" : "";

    private KeyAuthResult Decide(CachedKey cached, ReadOnlySpan<byte> hash)
    {
        // The lookup was by hash, so a hit already matches; comparing the bytes again in constant
        // time keeps the decision itself free of data-dependent timing.
        if (cached.Key is not { } key || !CryptographicOperations.FixedTimeEquals(key.Hash, hash))
        {
            return Unknown;
        }

        return key.Refusal switch
        {
            KeyAuthFailure.Deleted => Deleted,
            KeyAuthFailure.Disabled => Disabled,
            _ when key.ExpiresAt is { } expires && expires <= _time.GetUtcNow().ToUnixTimeMilliseconds() => Expired,
            KeyAuthFailure.ProjectAccessRevoked => ProjectAccessRevoked,
            _ => key.Accepted,
        };
    }

    private async ValueTask<KeyAuthResult> LookUpAsync(string hashHex, byte[] hash, CancellationToken cancellationToken)
    {
        var generation = Volatile.Read(ref _generation);
        var fetchedAt = _time.GetTimestamp(); // before the read, so an entry never outlives the TTL
        KeyRow? row;
        await using (var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            row = await connection.QuerySingleOrDefaultAsync<KeyRow>(new CommandDefinition(
                """
                SELECT k.id AS KeyId, k.name AS KeyName, k.org_id AS OrgId, k.project_id AS ProjectId,
                       k.member_id AS MemberId, k.key_hash AS KeyHash, k.status, k.expires_at AS ExpiresAt,
                       p.deleted_at AS ProjectDeletedAt, m.removed_at AS MemberRemovedAt, m.role AS MemberRole,
                       (SELECT COUNT(*) FROM project_grants g WHERE g.member_id = k.member_id AND g.project_id = k.project_id) AS Grants
                FROM api_keys k
                JOIN projects p ON p.id = k.project_id
                JOIN members m ON m.id = k.member_id
                WHERE k.key_hash = @hashHex
                """,
                new { hashHex },
                cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        var entry = new CachedKey(row is null ? null : KeyState.From(row), fetchedAt);
        lock (_writeLock)
        {
            if (_generation == generation)
            {
                if (_cache.Count >= MaxCachedEntries)
                {
                    SweepExpired();
                }

                _cache[hashHex] = entry;
            }
        }

        return Decide(entry, hash);
    }

    private void SweepExpired()
    {
        foreach (var (hash, entry) in _cache)
        {
            if (_time.GetElapsedTime(entry.FetchedAt) >= CacheTtl)
            {
                _cache.TryRemove(hash, out _);
            }
        }

        if (_cache.Count >= MaxCachedEntries)
        {
            _cache.Clear();
        }
    }

    /// <summary>A cache entry: the key's state, or null for "no such key", and when it was read (timestamp).</summary>
    private sealed record CachedKey(KeyState? Key, long FetchedAt);

    /// <summary>What authentication needs to know about a key, with the answer for an accepted request prebuilt.</summary>
    private sealed class KeyState
    {
        private KeyState(KeyIdentity identity, byte[] hash, KeyAuthFailure refusal, long? expiresAt)
        {
            Identity = identity;
            Hash = hash;
            Refusal = refusal;
            ExpiresAt = expiresAt;
            Accepted = new KeyAuthResult(identity, KeyAuthFailure.None, "");
        }

        public KeyIdentity Identity { get; }

        public byte[] Hash { get; }

        /// <summary>Deleted, Disabled, ProjectAccessRevoked or None; expiry is checked per request against the clock, before project access.</summary>
        public KeyAuthFailure Refusal { get; }

        public long? ExpiresAt { get; }

        public KeyAuthResult Accepted { get; }

        public static KeyState From(KeyRow row)
        {
            var refusal = row.Status switch
            {
                KeyStore.Deleted => KeyAuthFailure.Deleted,
                // Disabled, or a key whose project was deleted or whose member was removed.
                _ when row.Status != KeyStore.Active || row.ProjectDeletedAt is not null || row.MemberRemovedAt is not null => KeyAuthFailure.Disabled,
                // Owners, admins and billing members see every project; the others need a grant.
                _ when RolePolicy.IsProjectScoped(row.MemberRole) && row.Grants == 0 => KeyAuthFailure.ProjectAccessRevoked,
                _ => KeyAuthFailure.None,
            };
            var identity = new KeyIdentity(row.KeyId, row.KeyName, row.OrgId, row.ProjectId, row.MemberId);
            return new KeyState(identity, Convert.FromHexString(row.KeyHash), refusal, row.ExpiresAt);
        }
    }

    private sealed record KeyRow(
        string KeyId, string KeyName, string OrgId, string ProjectId, string MemberId, string KeyHash,
        string Status, long? ExpiresAt, long? ProjectDeletedAt, long? MemberRemovedAt, string MemberRole, long Grants);
}
