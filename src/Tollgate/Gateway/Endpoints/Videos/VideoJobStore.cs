using System.Data.Common;
using System.Text.Json.Nodes;
using Dapper;
using Tollgate.Storage;

namespace Tollgate.Gateway.Endpoints.Videos;

/// <summary>
/// A video job made through the gateway (table <c>video_jobs</c>): whose it is, where it runs, what it
/// holds and its state. <c>queued</c> and <c>in_progress</c> are open; <c>completed</c>, <c>failed</c>
/// and <c>cancelled</c> are terminal and reached once, by the caller that settles the job.
/// </summary>
internal sealed record VideoJob
{
    public const string Queued = "queued", InProgress = "in_progress", Completed = "completed", Failed = "failed", Cancelled = "cancelled";

    public required string Id { get; init; }
    public required string OrgId { get; init; }
    public required string ProjectId { get; init; }
    public required string MemberId { get; init; }
    public required string KeyId { get; init; }
    public required string RequestId { get; init; }
    public required long Attempt { get; init; }
    public required string Model { get; init; }
    public required string Provider { get; init; }
    public required string ProviderModel { get; init; }
    public required string ProviderJobId { get; init; }

    /// <summary><c>server</c> or <c>org</c>: whose provider credential runs the job.</summary>
    public required string Credential { get; init; }

    /// <summary>What the job's durable hold holds (its id is the job's).</summary>
    public required long HoldPico { get; init; }
    public string? CreditsOrgId { get; init; }

    /// <summary>The seconds and size asked for.</summary>
    public required string Seconds { get; init; }
    public required string Size { get; init; }

    /// <summary>The per-second price of the size, in force when the job was made (invariant decimal).</summary>
    public required string PricePerSecond { get; init; }
    public required string State { get; init; }

    /// <summary>The video object as last seen, with the gateway's id.</summary>
    public required string ObjectJson { get; init; }
    public long? ChargedPico { get; init; }
    public required long CreatedAt { get; init; }
    public required long UpdatedAt { get; init; }
    public long? SettledAt { get; init; }
    public long? DeletedAt { get; init; }

    /// <summary>True while the job can still end (and be charged).</summary>
    public bool IsOpen => State is Queued or InProgress;

    /// <summary>The open state to store for a video object the provider just sent (its end is settled separately).</summary>
    public static string OpenStateOf(JsonObject video) => (video["status"] as JsonValue)?.TryGetValue<string>(out var s) == true && s == Queued ? Queued : InProgress;
}

/// <summary>SQL over <c>video_jobs</c>, the same on SQLite and PostgreSQL.</summary>
internal sealed class VideoJobStore(Database database)
{
    private const string Columns = """
        id AS Id, org_id AS OrgId, project_id AS ProjectId, member_id AS MemberId, key_id AS KeyId, request_id AS RequestId,
        attempt AS Attempt, model AS Model, provider AS Provider, provider_model AS ProviderModel, provider_job_id AS ProviderJobId,
        credential AS Credential, hold_pico AS HoldPico, credits_org_id AS CreditsOrgId, seconds AS Seconds, size AS Size,
        price_per_second AS PricePerSecond, state AS State, object_json AS ObjectJson, charged_pico AS ChargedPico,
        created_at AS CreatedAt, updated_at AS UpdatedAt, settled_at AS SettledAt, deleted_at AS DeletedAt
        """;

    /// <summary>Writes a new job inside the transaction that makes its hold durable.</summary>
    public static Task InsertAsync(DbConnection connection, DbTransaction tx, VideoJob job) =>
        connection.ExecuteAsync(
            """
            INSERT INTO video_jobs (id, org_id, project_id, member_id, key_id, request_id, attempt, model, provider, provider_model,
                provider_job_id, credential, hold_pico, credits_org_id, seconds, size, price_per_second, state, object_json,
                created_at, updated_at)
            VALUES (@Id, @OrgId, @ProjectId, @MemberId, @KeyId, @RequestId, @Attempt, @Model, @Provider, @ProviderModel,
                @ProviderJobId, @Credential, @HoldPico, @CreditsOrgId, @Seconds, @Size, @PricePerSecond, @State, @ObjectJson,
                @CreatedAt, @UpdatedAt)
            """, job, tx);

    /// <summary>The org's job <paramref name="id"/>, unless deleted; null for another org's id.</summary>
    public async Task<VideoJob?> FindAsync(string orgId, string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        return await connection.QuerySingleOrDefaultAsync<VideoJob>(
            $"SELECT {Columns} FROM video_jobs WHERE id = @id AND org_id = @orgId AND deleted_at IS NULL", new { id, orgId }).ConfigureAwait(false);
    }

    /// <summary>A page of the org's jobs, newest first (or oldest first), after the job <paramref name="after"/>.</summary>
    public async Task<List<VideoJob>> ListAsync(string orgId, string? after, bool ascending, int limit, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        var order = ascending ? "ASC" : "DESC";
        var cursor = ascending ? ">" : "<";
        var rows = await connection.QueryAsync<VideoJob>(
            $"""
            SELECT {Columns} FROM video_jobs
            WHERE org_id = @orgId AND deleted_at IS NULL
              {(after is null ? "" : $"AND (created_at, id) {cursor} (SELECT created_at, id FROM video_jobs WHERE id = @after AND org_id = @orgId)")}
            ORDER BY created_at {order}, id {order} LIMIT @limit
            """, new { orgId, after, limit }).ConfigureAwait(false);
        return rows.AsList();
    }

    /// <summary>Up to <paramref name="limit"/> open jobs, the longest unlooked-at first.</summary>
    public async Task<List<VideoJob>> OpenJobsAsync(int limit, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        var rows = await connection.QueryAsync<VideoJob>(
            $"SELECT {Columns} FROM video_jobs WHERE state IN ('queued', 'in_progress') ORDER BY updated_at LIMIT @limit", new { limit }).ConfigureAwait(false);
        return rows.AsList();
    }

    /// <summary>Records what the provider said of an open job (still open), and when it was looked at.</summary>
    public async Task TouchAsync(string id, string state, string objectJson, long now, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        await connection.ExecuteAsync(
            "UPDATE video_jobs SET state = @state, object_json = @objectJson, updated_at = @now WHERE id = @id AND state IN ('queued', 'in_progress')",
            new { id, state, objectJson, now }).ConfigureAwait(false);
    }

    /// <summary>
    /// The guard of the job's one settlement: moves an open job to its terminal state inside the settling
    /// transaction; true only for the one caller whose update found it open.
    /// </summary>
    public static async Task<bool> ClaimAsync(DbConnection connection, DbTransaction tx, string id, string state, string objectJson, long chargedPico, long now) =>
        await connection.ExecuteAsync(
            """
            UPDATE video_jobs SET state = @state, object_json = @objectJson, charged_pico = @chargedPico, settled_at = @now, updated_at = @now
            WHERE id = @id AND state IN ('queued', 'in_progress')
            """, new { id, state, objectJson, chargedPico, now }, tx).ConfigureAwait(false) == 1;

    /// <summary>Marks a job deleted: it is no longer shown.</summary>
    public async Task MarkDeletedAsync(string id, long now, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct).ConfigureAwait(false);
        await connection.ExecuteAsync("UPDATE video_jobs SET deleted_at = @now WHERE id = @id", new { id, now }).ConfigureAwait(false);
    }
}
