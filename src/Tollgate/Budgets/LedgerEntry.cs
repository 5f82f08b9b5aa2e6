namespace Tollgate.Budgets;

/// <summary>One billable provider attempt: the unit of truth for spend.</summary>
public sealed record LedgerEntry
{
    /// <summary>Ledger row id.</summary>
    public required string Id { get; init; }

    /// <summary>The gateway request (<c>x-tollgate-request-id</c>).</summary>
    public required string RequestId { get; init; }

    /// <summary>1 for the first provider attempt, 2 and 3 for fallbacks. (RequestId, Attempt) is unique: a charge is idempotent per attempt.</summary>
    public required int Attempt { get; init; }

    public required string OrgId { get; init; }
    public required string ProjectId { get; init; }
    public required string MemberId { get; init; }
    public required string KeyId { get; init; }

    /// <summary><c>llm</c> for the gateway; other metered services name themselves.</summary>
    public required string Service { get; init; }

    /// <summary>The gateway route, e.g. <c>chat.completions</c>.</summary>
    public required string Endpoint { get; init; }

    public required string Model { get; init; }
    public required string Provider { get; init; }
    public required string ProviderModel { get; init; }

    /// <summary>How the attempt ended.</summary>
    public required LedgerStatus Status { get; init; }

    /// <summary>Status the provider answered with (0 when none was received).</summary>
    public required int HttpStatus { get; init; }

    public long InputTokens { get; init; }
    public long CachedInputTokens { get; init; }
    public long CacheWriteTokens { get; init; }
    public long OutputTokens { get; init; }
    public long ReasoningTokens { get; init; }

    /// <summary>
    /// What a unit-priced attempt was billed for (characters, images, pages, seconds); null for an
    /// attempt billed by token alone. Stored in the ledger's <c>unit_*</c> columns.
    /// </summary>
    public BilledUnits? Units { get; init; }

    /// <summary>Exact cost in pico-dollars.</summary>
    public required long CostPico { get; init; }

    /// <summary>
    /// How much of <see cref="CostPico"/> was charged to the org's credits: all of it when the org was in
    /// credits mode at admission and the request consumed credits, else 0.
    /// </summary>
    public long CreditsPico { get; init; }

    /// <summary>
    /// Whose provider credential served the attempt: <see cref="ServerCredential"/> (the server's
    /// configured key) or <see cref="OrgCredential"/> (the org's own provider key, which never
    /// consumes the org's credits).
    /// </summary>
    public string Credential { get; init; } = ServerCredential;

    /// <summary><see cref="Credential"/> of an attempt served with the server's key.</summary>
    public const string ServerCredential = "server";

    /// <summary><see cref="Credential"/> of an attempt served with the org's own key.</summary>
    public const string OrgCredential = "org";

    /// <summary>True when the provider reported no usage and the tokens were estimated from the content.</summary>
    public bool UsageEstimated { get; init; }

    public bool Streamed { get; init; }
    public bool Cancelled { get; init; }
    public long LatencyMs { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset EndedAt { get; init; }
    public string? Error { get; init; }

    /// <summary>The node that settled the attempt.</summary>
    public string? NodeId { get; init; }

    /// <summary>The reservation hold this charge lowers, in the same transaction (PostgreSQL).</summary>
    public string? HoldId { get; init; }

    /// <summary>True on the request's last attempt: the hold is dropped with this row instead of lowered.</summary>
    public bool DropsHold { get; init; }
}

/// <summary>
/// The units a unit-priced attempt was billed in, as the ledger stores them: each null when the attempt
/// was not billed in that unit. Seconds are exact decimals.
/// </summary>
/// <param name="Characters">Characters of text to speech.</param>
/// <param name="Images">Images generated or edited.</param>
/// <param name="ImageVariant">The image price variant (<c>size/quality</c>), when one applied.</param>
/// <param name="Pages">Document pages read (OCR).</param>
/// <param name="AudioSeconds">Seconds of audio transcribed.</param>
/// <param name="VideoSeconds">Seconds of video generated.</param>
/// <param name="VideoVariant">The video resolution the seconds were priced at, when one applied.</param>
public sealed record BilledUnits(
    long? Characters = null, long? Images = null, string? ImageVariant = null, long? Pages = null,
    decimal? AudioSeconds = null, decimal? VideoSeconds = null, string? VideoVariant = null)
{
    /// <summary>True when no unit is set (nothing to store).</summary>
    public bool IsEmpty => Characters is null && Images is null && Pages is null && AudioSeconds is null && VideoSeconds is null;
}

/// <summary>How a provider attempt ended.</summary>
public enum LedgerStatus
{
    /// <summary>The provider answered successfully and the answer was delivered.</summary>
    Ok,

    /// <summary>The provider answered with an error status.</summary>
    UpstreamError,

    /// <summary>The attempt failed: connection error, timeout, or the stream was cut.</summary>
    Failed,

    /// <summary>The client went away; what was produced so far is charged.</summary>
    Cancelled,
}
