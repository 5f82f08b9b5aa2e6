using System.Text;
using Dapper;
using Tollgate.Hosting;
using Tollgate.Storage;

namespace Tollgate.Accounts;

/// <summary>
/// Gateway API keys. Every change that can stop a key working (disable, delete, rotate, new
/// expiry) invalidates the key's entry in the <see cref="ApiKeyAuthenticator"/> cache after it commits.
/// </summary>
internal sealed class KeyStore(Database database, TimeProvider time, ApiKeyAuthenticator authenticator)
{
    /// <summary>Stored statuses. <c>expired</c> is never stored: it is computed from <c>expires_at</c>.</summary>
    public const string Active = "active";

    /// <summary>Stored status of a disabled key (also set when its project is deleted).</summary>
    public const string Disabled = "disabled";

    /// <summary>Stored status of a deleted key.</summary>
    public const string Deleted = "deleted";

    /// <summary>Computed status of an active key past its expiry.</summary>
    public const string Expired = "expired";

    /// <summary>The statuses a list can be filtered by.</summary>
    public static readonly string[] Statuses = [Active, Disabled, Deleted, Expired];

    /// <summary>A key row. <see cref="KeyHash"/> is the SHA-256 of the secret; the secret is never stored.</summary>
    public sealed record KeyRow(
        string Id, string OrgId, string ProjectId, string MemberId, string Name, string Prefix, string KeyHash,
        string Status, long? ExpiresAt, long CreatedAt, long UpdatedAt, long? DeletedAt, long? LastUsedAt = null)
    {
        /// <summary>active, disabled, deleted or expired, as of <paramref name="nowMs"/>.</summary>
        public string StatusAt(long nowMs) =>
            Status == KeyStore.Active && ExpiresAt is { } expires && expires <= nowMs ? Expired : Status;
    }

    /// <summary>
    /// List filters; null means any. <paramref name="OwnGrantedOf"/> limits the list to that member's
    /// own keys in projects granted to them (what a developer or basic member may see).
    /// </summary>
    public readonly record struct KeyFilter(string? ProjectId, string? MemberId, string? Status, string? OwnGrantedOf = null);

    private const string Columns =
        "id, org_id AS OrgId, project_id AS ProjectId, member_id AS MemberId, name, prefix, key_hash AS KeyHash, " +
        "status, expires_at AS ExpiresAt, created_at AS CreatedAt, updated_at AS UpdatedAt, deleted_at AS DeletedAt, last_used_at AS LastUsedAt";

    /// <summary>
    /// Creates an active key; returns the row and the secret, which exists only in this answer. With
    /// <paramref name="maxActiveKeys"/>, the count of the member's active keys and the insert run in one
    /// serialized write (SQLite's single writer; a per-member advisory lock on PostgreSQL), so parallel
    /// creations can never pass the cap; the key is null when the cap is reached.
    /// </summary>
    public async Task<(KeyRow? Key, string? Secret)> CreateAsync(
        string orgId, string projectId, string memberId, string name, long? expiresAt, int? maxActiveKeys, CancellationToken ct)
    {
        var secret = Secrets.NewApiKey();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var key = new KeyRow(Ids.New("key", time), orgId, projectId, memberId, name, Secrets.DisplayPrefix(secret),
            Secrets.Hash(secret), Active, expiresAt, now, now, null);
        await using var connection = await database.OpenAsync(ct);
        await using var tx = await Database.BeginWriteAsync(connection, ct);
        if (maxActiveKeys is { } max && await ActiveKeysLockedAsync(connection, tx, memberId, null, now) >= max)
        {
            return (null, null);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO api_keys (id, org_id, project_id, member_id, name, prefix, key_hash, status, expires_at, created_at, updated_at, deleted_at)
            VALUES (@Id, @OrgId, @ProjectId, @MemberId, @Name, @Prefix, @KeyHash, @Status, @ExpiresAt, @CreatedAt, @UpdatedAt, NULL)
            """,
            key,
            tx,
            cancellationToken: ct));
        await tx.CommitAsync(ct);
        return (key, secret);
    }

    /// <summary>Counts the member's active keys (other than <paramref name="exceptKeyId"/>) inside a write transaction that serializes per member.</summary>
    private async Task<long> ActiveKeysLockedAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction tx, string memberId, string? exceptKeyId, long now)
    {
        if (database.IsPostgres)
        {
            await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtext(@memberId))", new { memberId }, tx);
        }

        return await connection.ExecuteScalarAsync<long>(
            """
            SELECT COUNT(*) FROM api_keys WHERE member_id = @memberId AND status = 'active'
              AND (expires_at IS NULL OR expires_at > @now) AND (@exceptKeyId IS NULL OR id <> @exceptKeyId)
            """,
            new { memberId, now, exceptKeyId }, tx);
    }

    /// <summary>The org's keys matching <paramref name="filter"/>, by id; fetches <c>Limit + 1</c> rows.</summary>
    public async Task<IReadOnlyList<KeyRow>> ListAsync(string orgId, KeyFilter filter, Paging paging, CancellationToken ct)
    {
        var sql = new StringBuilder($"SELECT {Columns} FROM api_keys WHERE org_id = @orgId");
        if (filter.ProjectId is not null)
        {
            sql.Append(" AND project_id = @projectId");
        }

        if (filter.MemberId is not null)
        {
            sql.Append(" AND member_id = @memberId");
        }

        if (filter.OwnGrantedOf is not null)
        {
            sql.Append(" AND member_id = @ownGrantedOf AND project_id IN (SELECT project_id FROM project_grants WHERE member_id = @ownGrantedOf)");
        }

        sql.Append(filter.Status switch
        {
            null => "",
            Active => " AND status = 'active' AND (expires_at IS NULL OR expires_at > @now)",
            Expired => " AND status = 'active' AND expires_at <= @now",
            Disabled => " AND status = 'disabled'",
            _ => " AND status = 'deleted'",
        });
        if (paging.Cursor is not null)
        {
            sql.Append(" AND id > @cursor");
        }

        sql.Append(" ORDER BY id LIMIT @take");
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<KeyRow>(new CommandDefinition(
            sql.ToString(),
            new
            {
                orgId,
                projectId = filter.ProjectId,
                memberId = filter.MemberId,
                ownGrantedOf = filter.OwnGrantedOf,
                now = time.GetUtcNow().ToUnixTimeMilliseconds(),
                cursor = paging.Cursor,
                take = paging.Limit + 1,
            },
            cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>The key of this org (deleted ones too), or null (also for another org's key).</summary>
    public async Task<KeyRow?> FindAsync(string orgId, string keyId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<KeyRow>(new CommandDefinition(
            $"SELECT {Columns} FROM api_keys WHERE id = @keyId AND org_id = @orgId",
            new { orgId, keyId },
            cancellationToken: ct));
    }

    /// <summary>
    /// Sets name, stored status (active or disabled) and expiry of a key that is not deleted;
    /// null when there is no such key.
    /// </summary>
    public async Task<KeyRow?> UpdateAsync(string orgId, string keyId, string name, string status, long? expiresAt, CancellationToken ct) =>
        (await UpdateAsync(orgId, keyId, name, status, expiresAt, null, null, ct)).Key;

    /// <summary>
    /// As <see cref="UpdateAsync(string, string, string, string, long?, CancellationToken)"/>; re-activating a key
    /// re-checks <paramref name="maxActiveKeys"/> of <paramref name="memberId"/> in the same serialized write.
    /// </summary>
    public async Task<(KeyRow? Key, bool LimitReached)> UpdateAsync(
        string orgId, string keyId, string name, string status, long? expiresAt, string? memberId, int? maxActiveKeys, CancellationToken ct)
    {
        string? hash;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using (var connection = await database.OpenAsync(ct))
        {
            await using var tx = await Database.BeginWriteAsync(connection, ct);
            if (status == Active && memberId is not null && maxActiveKeys is { } max
                && (expiresAt is null || expiresAt > now)
                && await ActiveKeysLockedAsync(connection, tx, memberId, keyId, now) >= max)
            {
                return (null, true);
            }

            hash = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
                """
                UPDATE api_keys SET name = @name, status = @status, expires_at = @expiresAt, updated_at = @now
                WHERE id = @keyId AND org_id = @orgId AND status <> 'deleted'
                RETURNING key_hash
                """,
                new { orgId, keyId, name, status, expiresAt, now },
                tx,
                cancellationToken: ct));
            await tx.CommitAsync(ct);
        }

        if (hash is null)
        {
            return (null, false);
        }

        authenticator.Invalidate(hash);
        return (await FindAsync(orgId, keyId, ct), false);
    }

    /// <summary>Marks a key deleted; it stops working at once. False when there is no such key or it was already deleted.</summary>
    public async Task<bool> DeleteAsync(string orgId, string keyId, CancellationToken ct)
    {
        string? hash;
        await using (var connection = await database.OpenAsync(ct))
        {
            hash = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
                """
                UPDATE api_keys SET status = 'deleted', deleted_at = @now, updated_at = @now
                WHERE id = @keyId AND org_id = @orgId AND status <> 'deleted'
                RETURNING key_hash
                """,
                new { orgId, keyId, now = time.GetUtcNow().ToUnixTimeMilliseconds() },
                cancellationToken: ct));
        }

        if (hash is null)
        {
            return false;
        }

        authenticator.Invalidate(hash);
        return true;
    }

    /// <summary>
    /// Gives a key that is not deleted a new secret; the old secret stops working at once.
    /// Null when there is no such key. <paramref name="current"/> is the row as read: the update
    /// applies only if the secret is still the one read, so two racing rotations cannot both win.
    /// </summary>
    public async Task<(KeyRow Key, string Secret)?> RotateAsync(KeyRow current, CancellationToken ct)
    {
        var secret = Secrets.NewApiKey();
        await using (var connection = await database.OpenAsync(ct))
        {
            var changed = await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE api_keys SET key_hash = @newHash, prefix = @prefix, updated_at = @now
                WHERE id = @keyId AND org_id = @orgId AND key_hash = @oldHash AND status <> 'deleted'
                """,
                new
                {
                    keyId = current.Id,
                    orgId = current.OrgId,
                    oldHash = current.KeyHash,
                    newHash = Secrets.Hash(secret),
                    prefix = Secrets.DisplayPrefix(secret),
                    now = time.GetUtcNow().ToUnixTimeMilliseconds(),
                },
                cancellationToken: ct));
            if (changed == 0)
            {
                return null;
            }
        }

        authenticator.Invalidate(current.KeyHash);
        var key = await FindAsync(current.OrgId, current.Id, ct);
        return key is null ? null : (key, secret);
    }
}
