using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Tollgate.Hosting;
using Tollgate.Storage;

namespace Tollgate.Audit;

/// <summary>
/// The audit log: an append-only list of entries per org, each hash-chained to the one before:
/// <code>
/// hash(n) = SHA-256( hash(n-1) || canonical(entry n) )      hash(0) = 64 zeros
/// canonical = JSON array [id, orgId, seq, at, actorMemberId, actorEmail, action,
///                         targetType, targetId, before, after, ip]
/// </code>
/// Appends to one org are serialized (SQLite: the write transaction; PostgreSQL: a transaction-scoped
/// advisory lock on the org), so the chain never forks. <c>audit_heads</c> keeps the last seq and hash,
/// so that deleting the newest entry is noticed too. Editing, deleting or reordering any row breaks
/// the chain at that row, which <see cref="VerifyAsync"/> reports.
/// </summary>
public sealed class AuditLog(Database database, TimeProvider time)
{
    /// <summary>The <c>prev_hash</c> of an org's first entry.</summary>
    public static readonly string GenesisHash = new('0', 64);

    private const string Columns =
        "id, org_id AS OrgId, seq, at, actor_member_id AS ActorMemberId, actor_email AS ActorEmail, action, " +
        "target_type AS TargetType, target_id AS TargetId, before_json AS BeforeJson, after_json AS AfterJson, ip, " +
        "prev_hash AS PrevHash, hash";

    /// <summary>
    /// Appends an entry to the org's chain. With a <paramref name="transaction"/>, the entry is written
    /// inside it, so it commits or rolls back with the change it records (the caller commits); without
    /// one, it is written in a transaction of its own on <paramref name="connection"/>.
    /// <paramref name="before"/> and <paramref name="after"/> are serialized as JSON (web defaults,
    /// camelCase); pass null when there is no such state (creation, deletion).
    /// </summary>
    public async Task<AuditEntry> RecordAsync(
        DbConnection connection, DbTransaction? transaction, string orgId, AuditActor actor, string action,
        AuditTarget target, object? before, object? after, string? ip, CancellationToken ct)
    {
        if (transaction is not null)
        {
            return await AppendAsync(connection, transaction, orgId, actor, action, target, before, after, ip, ct);
        }

        await using var tx = await Database.BeginWriteAsync(connection, ct);
        var entry = await AppendAsync(connection, tx, orgId, actor, action, target, before, after, ip, ct);
        await tx.CommitAsync(ct);
        return entry;
    }

    /// <summary>Appends an entry on a connection and transaction of its own (after the change it records has committed).</summary>
    public async Task<AuditEntry> RecordAsync(
        string orgId, AuditActor actor, string action, AuditTarget target, object? before, object? after, string? ip, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        return await RecordAsync(connection, null, orgId, actor, action, target, before, after, ip, ct);
    }

    /// <summary>The org's entries matching <paramref name="query"/>, newest first; fetches <c>Limit + 1</c> rows.</summary>
    public async Task<IReadOnlyList<AuditEntry>> ListAsync(string orgId, AuditQuery query, CancellationToken ct)
    {
        var sql = new StringBuilder($"SELECT {Columns} FROM audit_log WHERE org_id = @orgId");
        if (query.From is not null)
        {
            sql.Append(" AND at >= @from");
        }

        if (query.To is not null)
        {
            sql.Append(" AND at < @to");
        }

        if (query.Actor is not null)
        {
            sql.Append(" AND (actor_member_id = @actor OR actor_email = @actorEmail)");
        }

        if (query.Action is not null)
        {
            sql.Append(query.Action.EndsWith('*') ? " AND action LIKE @actionPrefix" : " AND action = @action");
        }

        if (query.BeforeSeq is not null)
        {
            sql.Append(" AND seq < @beforeSeq");
        }

        sql.Append(" ORDER BY seq DESC LIMIT @take");
        await using var connection = await database.OpenAsync(ct);
        var rows = await connection.QueryAsync<AuditEntry>(new CommandDefinition(
            sql.ToString(),
            new
            {
                orgId,
                from = query.From,
                to = query.To,
                actor = query.Actor,
                actorEmail = query.Actor?.ToLowerInvariant(),
                action = query.Action,
                actionPrefix = query.Action?.TrimEnd('*') + "%",
                beforeSeq = query.BeforeSeq,
                take = query.Limit + 1,
            },
            cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>Walks the org's chain from the first entry and reports the first entry that does not fit.</summary>
    public async Task<AuditVerification> VerifyAsync(string orgId, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var head = await connection.QuerySingleOrDefaultAsync<Head>(new CommandDefinition(
            "SELECT seq, last_id AS LastId, hash FROM audit_heads WHERE org_id = @orgId", new { orgId }, cancellationToken: ct));
        // Only the entries up to the head read above: entries appended while this runs are for the
        // next check, and cannot change the ones below the head. Streamed, so memory stays constant.
        var rows = connection.QueryUnbufferedAsync<AuditEntry>(
            $"SELECT {Columns} FROM audit_log WHERE org_id = @orgId AND seq <= @upTo ORDER BY seq",
            new { orgId, upTo = head?.Seq ?? long.MaxValue });

        var prevHash = GenesisHash;
        var expectedSeq = 1L;
        var count = 0;
        string? lastId = null;
        await foreach (var row in rows.WithCancellation(ct))
        {
            count++;
            // Invariant of an intact chain: seq runs 1, 2, 3, ..., each entry names the previous
            // entry's hash, and hashes to its own stored hash.
            if (row.Seq != expectedSeq || !string.Equals(row.PrevHash, prevHash, StringComparison.Ordinal)
                || !string.Equals(ComputeHash(prevHash, row), row.Hash, StringComparison.Ordinal))
            {
                return new AuditVerification(false, count, row.Id);
            }

            prevHash = row.Hash;
            lastId = row.Id;
            expectedSeq++;
        }

        // The rows are intact; the head says whether any were cut off the end (or, missing while
        // entries exist, that it was removed itself).
        var lastSeq = expectedSeq - 1;
        if (head is null ? lastSeq != 0 : head.Seq != lastSeq || !string.Equals(head.Hash, prevHash, StringComparison.Ordinal))
        {
            return new AuditVerification(false, count, head?.LastId ?? lastId);
        }

        return new AuditVerification(true, count, null);
    }

    /// <summary>SHA-256 over the previous hash and the entry's canonical form, lower-case hex.</summary>
    public static string ComputeHash(string prevHash, AuditEntry entry)
    {
        using var buffer = new MemoryStream(512);
        buffer.Write(Encoding.UTF8.GetBytes(prevHash));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteStringValue(entry.Id);
            writer.WriteStringValue(entry.OrgId);
            writer.WriteNumberValue(entry.Seq);
            writer.WriteNumberValue(entry.At);
            WriteNullable(writer, entry.ActorMemberId);
            WriteNullable(writer, entry.ActorEmail);
            writer.WriteStringValue(entry.Action);
            writer.WriteStringValue(entry.TargetType);
            writer.WriteStringValue(entry.TargetId);
            WriteNullable(writer, entry.BeforeJson);
            WriteNullable(writer, entry.AfterJson);
            WriteNullable(writer, entry.Ip);
            writer.WriteEndArray();
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
    }

    private async Task<AuditEntry> AppendAsync(
        DbConnection connection, DbTransaction tx, string orgId, AuditActor actor, string action,
        AuditTarget target, object? before, object? after, string? ip, CancellationToken ct)
    {
        // :: Step 1: serialize appends to this org (SQLite's write transaction already does).
        if (database.IsPostgres)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))", new { key = "audit:" + orgId }, tx, cancellationToken: ct));
        }

        // :: Step 2: the chain's head, then the entry linked to it
        var head = await connection.QuerySingleOrDefaultAsync<Head>(new CommandDefinition(
            "SELECT seq, last_id AS LastId, hash FROM audit_heads WHERE org_id = @orgId", new { orgId }, tx, cancellationToken: ct));
        var prevHash = head?.Hash ?? GenesisHash;
        var unsigned = new AuditEntry(
            Ids.New("aud", time), orgId, (head?.Seq ?? 0) + 1, time.GetUtcNow().ToUnixTimeMilliseconds(), actor.MemberId,
            actor.Email, action, target.Type, target.Id, ToJson(before), ToJson(after), ip, prevHash, "");
        var entry = unsigned with { Hash = ComputeHash(prevHash, unsigned) };

        // :: Step 3: the entry and the new head, in the same transaction
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO audit_log (id, org_id, seq, at, actor_member_id, actor_email, action, target_type, target_id, before_json, after_json, ip, prev_hash, hash)
            VALUES (@Id, @OrgId, @Seq, @At, @ActorMemberId, @ActorEmail, @Action, @TargetType, @TargetId, @BeforeJson, @AfterJson, @Ip, @PrevHash, @Hash)
            """,
            entry, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO audit_heads (org_id, seq, last_id, hash) VALUES (@OrgId, @Seq, @Id, @Hash)
            ON CONFLICT (org_id) DO UPDATE SET seq = excluded.seq, last_id = excluded.last_id, hash = excluded.hash
            """,
            entry, tx, cancellationToken: ct));
        return entry;
    }

    private static string? ToJson(object? value) => value switch
    {
        null => null,
        JsonElement { ValueKind: JsonValueKind.Undefined or JsonValueKind.Null } => null,
        _ => JsonSerializer.Serialize(value, value.GetType(), JsonSerializerOptions.Web),
    };

    private static void WriteNullable(Utf8JsonWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }

    private sealed record Head(long Seq, string LastId, string Hash);
}
