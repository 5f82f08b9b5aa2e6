namespace Tollgate.Audit;

// The values the audit log takes and gives: kept together because together they are its contract.

/// <summary>Who did it: the acting member and their email (either may be null for the system).</summary>
/// <param name="MemberId">The acting member's id.</param>
/// <param name="Email">The acting user's email.</param>
public sealed record AuditActor(string? MemberId, string? Email);

/// <summary>What it was done to: a type (<c>org</c>, <c>project</c>, <c>key</c>, <c>member</c>, <c>invite</c>, ...) and an id.</summary>
/// <param name="Type">The kind of thing.</param>
/// <param name="Id">Its id.</param>
public sealed record AuditTarget(string Type, string Id);

/// <summary>One stored audit entry. <see cref="BeforeJson"/> and <see cref="AfterJson"/> are JSON text (or null).</summary>
public sealed record AuditEntry(
    string Id, string OrgId, long Seq, long At, string? ActorMemberId, string? ActorEmail, string Action,
    string TargetType, string TargetId, string? BeforeJson, string? AfterJson, string? Ip, string PrevHash, string Hash);

/// <summary>The outcome of checking an org's chain: <c>{"valid", "checked", "brokenAt"}</c>.</summary>
/// <param name="Valid">True when every entry links to the one before and hashes to its stored hash.</param>
/// <param name="Checked">How many entries were read.</param>
/// <param name="BrokenAt">The id of the first entry that does not fit (or of a missing last entry), or null.</param>
public sealed record AuditVerification(bool Valid, int Checked, string? BrokenAt);

/// <summary>Filters of an audit log listing; null means any.</summary>
/// <param name="From">Entries at or after (Unix ms).</param>
/// <param name="To">Entries before (Unix ms).</param>
/// <param name="Actor">The acting member's id or email.</param>
/// <param name="Action">An action name, or a prefix ending in <c>*</c> (<c>key.*</c>).</param>
/// <param name="BeforeSeq">Entries older than this seq (the cursor).</param>
/// <param name="Limit">Entries per page.</param>
public sealed record AuditQuery(long? From, long? To, string? Actor, string? Action, long? BeforeSeq, int Limit);
