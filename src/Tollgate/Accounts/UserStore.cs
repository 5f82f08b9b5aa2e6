using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using Tollgate.Hosting;
using Tollgate.Storage;

namespace Tollgate.Accounts;

/// <summary>Users and their sign-in sessions.</summary>
internal sealed class UserStore(Database database, TimeProvider time)
{
    /// <summary>A user row.</summary>
    public sealed record UserRow(string Id, string Email, string Name, string PasswordHash, long CreatedAt);

    /// <summary>A live session and its user.</summary>
    public sealed record SessionRow(string TokenHash, string UserId, string Email, string Name, long ExpiresAt);

    /// <summary>A membership of a user.</summary>
    public sealed record MembershipRow(string OrgId, string MemberId, string Role);

    /// <summary>Creates a user; null when the email (already lower-cased) is taken.</summary>
    public async Task<UserRow?> CreateAsync(string email, string name, string passwordHash, CancellationToken ct)
    {
        var user = new UserRow(Ids.New("usr", time), email, name, passwordHash, time.GetUtcNow().ToUnixTimeMilliseconds());
        await using var connection = await database.OpenAsync(ct);
        try
        {
            // The unique index on email decides between concurrent sign-ups of one address.
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO users (id, email, name, password_hash, created_at)
                VALUES (@Id, @Email, @Name, @PasswordHash, @CreatedAt)
                """,
                user,
                cancellationToken: ct));
            return user;
        }
        catch (DbException ex) when (IsUniqueViolation(ex))
        {
            return null;
        }
    }

    /// <summary>The user with this (lower-cased) email, or null.</summary>
    public async Task<UserRow?> FindByEmailAsync(string email, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(
            """
            SELECT id, email, name, password_hash AS PasswordHash, created_at AS CreatedAt
            FROM users
            WHERE email = @email
            """,
            new { email },
            cancellationToken: ct));
    }

    /// <summary>Starts a session for the user, stored by the hash of its token.</summary>
    public async Task CreateSessionAsync(string userId, string tokenHash, long expiresAt, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sessions (token_hash, user_id, created_at, expires_at, revoked_at)
            VALUES (@tokenHash, @userId, @now, @expiresAt, NULL)
            """,
            new { tokenHash, userId, now = time.GetUtcNow().ToUnixTimeMilliseconds(), expiresAt },
            cancellationToken: ct));
    }

    /// <summary>The session with this token hash if it is neither revoked nor expired, with its user.</summary>
    public async Task<SessionRow?> FindLiveSessionAsync(string tokenHash, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<SessionRow>(new CommandDefinition(
            """
            SELECT s.token_hash AS TokenHash, s.user_id AS UserId, u.email, u.name, s.expires_at AS ExpiresAt
            FROM sessions s
            JOIN users u ON u.id = s.user_id
            WHERE s.token_hash = @tokenHash AND s.revoked_at IS NULL AND s.expires_at > @now
            """,
            new { tokenHash, now = time.GetUtcNow().ToUnixTimeMilliseconds() },
            cancellationToken: ct));
    }

    /// <summary>Ends a session: its token stops working at once (sessions are not cached).</summary>
    public async Task RevokeSessionAsync(string tokenHash, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET revoked_at = @now WHERE token_hash = @tokenHash AND revoked_at IS NULL",
            new { tokenHash, now = time.GetUtcNow().ToUnixTimeMilliseconds() },
            cancellationToken: ct));
    }

    /// <summary>The user's current memberships, oldest first.</summary>
    public async Task<IReadOnlyList<MembershipRow>> MembershipsAsync(string userId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<MembershipRow>(new CommandDefinition(
            """
            SELECT org_id AS OrgId, id AS MemberId, role
            FROM members
            WHERE user_id = @userId AND removed_at IS NULL
            ORDER BY id
            """,
            new { userId },
            cancellationToken: ct));
        return rows.AsList();
    }

    private static bool IsUniqueViolation(DbException ex) => ex switch
    {
        PostgresException pg => pg.SqlState == PostgresErrorCodes.UniqueViolation,
        SqliteException sqlite => sqlite.SqliteExtendedErrorCode == 2067, // SQLITE_CONSTRAINT_UNIQUE
        _ => false,
    };
}
