using System.Text.RegularExpressions;
using Tollgate.Accounts;

namespace Tollgate.Operations;

/// <summary>
/// One rule for every list of the management API: a <c>cursor</c> is the <c>nextCursor</c> a previous
/// page returned, unchanged, or the request is a 400. Without it, a garbage cursor compared as text
/// against ids would return an empty list on one route and the first page on another.
/// </summary>
internal static partial class ListCursorGuard
{
    /// <summary>The message of the 400.</summary>
    public const string Message = "cursor is not a cursor of this list: pass nextCursor from the previous page unchanged.";

    /// <summary>Adds the check in front of every route (dashboard pages and the gateway take no cursor).</summary>
    public static WebApplication UseListCursorGuard(this WebApplication app)
    {
        app.Use((context, next) =>
            HttpMethods.IsGet(context.Request.Method)
            && context.Request.QueryString.HasValue
            && context.Request.Query.TryGetValue("cursor", out var values)
            && !IsWellFormed(context.Request.Path, values)
                ? AccountProblems.Validation("cursor", Message).ExecuteAsync(context)
                : next(context));
        return app;
    }

    /// <summary>
    /// True for an absent cursor, an id of the shape <see cref="Hosting.Ids"/> makes, or — on the audit
    /// log, which pages by sequence number — a whole number.
    /// </summary>
    public static bool IsWellFormed(PathString path, Microsoft.Extensions.Primitives.StringValues values)
    {
        if (values.Count > 1)
        {
            return false;
        }

        var cursor = values.ToString();
        if (cursor.Length == 0 || path.StartsWithSegments("/dashboard"))
        {
            return true;
        }

        return IdPattern().IsMatch(cursor)
            || (path.Value?.EndsWith("/audit-logs", StringComparison.Ordinal) == true && SequencePattern().IsMatch(cursor));
    }

    // A type prefix, '_', 10 characters of time and 16 random ones in the ids' alphabet (Hosting/Ids.cs).
    [GeneratedRegex("^[a-z]{2,8}_[0-9a-hjkmnp-tv-z]{26}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[0-9]{1,18}$", RegexOptions.CultureInvariant)]
    private static partial Regex SequencePattern();
}
