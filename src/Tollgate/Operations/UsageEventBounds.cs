namespace Tollgate.Operations;

/// <summary>
/// Bounds on a reported usage event (<c>POST /v1/usage/events</c>): the idempotency key is stored in
/// the ledger's request id, and <c>occurredAt</c> decides which budget windows the charge falls in,
/// so neither may be arbitrary.
/// </summary>
internal static class UsageEventBounds
{
    /// <summary>Longest accepted idempotency key, in characters.</summary>
    public const int MaxIdempotencyKeyLength = 200;

    /// <summary>How far in the past an event may have happened (a report delayed by a batch job, an outage).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(31);

    /// <summary>How far ahead of this server's clock an event may be stamped (clock skew between machines).</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(5);

    /// <summary>The field and message of the first bound broken, or null when the event is within bounds.</summary>
    public static (string Field, string Message)? Check(string idempotencyKey, DateTimeOffset occurredAt, DateTimeOffset now)
    {
        if (idempotencyKey.Length > MaxIdempotencyKeyLength)
        {
            return ("idempotencyKey", $"'idempotencyKey' must be at most {MaxIdempotencyKeyLength} characters.");
        }

        if (idempotencyKey.Any(char.IsControl))
        {
            return ("idempotencyKey", "'idempotencyKey' must not contain control characters.");
        }

        if (occurredAt < now - MaxAge || occurredAt > now + MaxSkew)
        {
            return ("occurredAt", $"'occurredAt' must be within the last {MaxAge.TotalDays:0} days and not in the future.");
        }

        return null;
    }
}
