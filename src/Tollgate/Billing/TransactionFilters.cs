using System.Globalization;
using System.Text.RegularExpressions;
using Tollgate.Accounts;

namespace Tollgate.Billing;

/// <summary>
/// The query of <c>GET /orgs/{orgId}/transactions</c>: <c>type</c>, <c>status</c>, <c>from</c>
/// (inclusive) and <c>to</c> (exclusive for an instant; a date <c>YYYY-MM-DD</c> means that whole UTC
/// day, so <c>to</c> includes it) on the creation time, and a <c>cursor</c> that must be a transaction
/// id as the previous page's <c>nextCursor</c> gave it.
/// </summary>
internal static partial class TransactionFilters
{
    /// <summary>The transaction types.</summary>
    public static readonly string[] Types = ["credit_purchase", "refund", "subscription", "adjustment"];

    /// <summary>The transaction statuses.</summary>
    public static readonly string[] Statuses = ["pending", "completed", "failed"];

    /// <summary>Reads the filters; returns the field errors, or null when all are valid.</summary>
    public static Dictionary<string, string[]>? Read(string? cursor, string? type, string? status, string? from, string? to, out TransactionStore.Filter filter)
    {
        var errors = new Dictionary<string, string[]>();
        filter = new TransactionStore.Filter(null, null, null, null);
        if (!string.IsNullOrEmpty(cursor) && !CursorPattern().IsMatch(cursor))
        {
            errors["cursor"] = ["cursor is not a cursor of this list: pass nextCursor from the previous page unchanged."];
        }

        if (!string.IsNullOrEmpty(type) && !Types.Contains(type))
        {
            errors["type"] = [$"type must be one of {string.Join(", ", Types)}."];
        }

        if (!string.IsNullOrEmpty(status) && !Statuses.Contains(status))
        {
            errors["status"] = [$"status must be one of {string.Join(", ", Statuses)}."];
        }

        var fromMs = Instant(from, endOfDay: false, "from", errors);
        var toMs = Instant(to, endOfDay: true, "to", errors);
        if (fromMs is not null && toMs is not null && fromMs >= toMs && !errors.ContainsKey("to"))
        {
            errors["to"] = ["to must be after from."];
        }

        if (errors.Count > 0)
        {
            return errors;
        }

        filter = new TransactionStore.Filter(NullIfEmpty(type), NullIfEmpty(status), fromMs, toMs);
        return null;
    }

    private static long? Instant(string? text, bool endOfDay, string field, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return (endOfDay ? start.AddDays(1) : start).ToUnixTimeMilliseconds();
        }

        if (ApiTime.TryParse(text, out var ms))
        {
            return ms;
        }

        errors[field] = [$"{field} must be a date (2026-07-04) or an ISO 8601 instant with an offset (2026-07-04T00:00:00.000Z)."];
        return null;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    // A transaction id: "txn_" and 26 characters of the ids' alphabet (see Hosting/Ids.cs).
    [GeneratedRegex("^txn_[0-9a-hjkmnp-tv-z]{26}$")]
    private static partial Regex CursorPattern();
}
