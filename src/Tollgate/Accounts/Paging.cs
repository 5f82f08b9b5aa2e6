using System.Globalization;

namespace Tollgate.Accounts;

/// <summary>
/// List paging: <c>limit</c> (default 50, at most 200) and <c>cursor</c>, the last id of the
/// previous page. Ids are time-ordered, so <c>WHERE id &gt; @cursor ORDER BY id</c> pages in creation order.
/// </summary>
/// <param name="Limit">Rows per page.</param>
/// <param name="Cursor">Return rows after this id; null for the first page.</param>
internal readonly record struct Paging(int Limit, string? Cursor)
{
    /// <summary>Page size when none is asked for.</summary>
    public const int DefaultLimit = 50;

    /// <summary>Largest page size.</summary>
    public const int MaxLimit = 200;

    /// <summary>Reads <c>limit</c> and <c>cursor</c>; on a bad limit, <paramref name="error"/> says why.</summary>
    public static bool TryParse(string? limit, string? cursor, out Paging paging, out string? error)
    {
        paging = default;
        error = null;
        var value = DefaultLimit;
        if (!string.IsNullOrEmpty(limit)
            && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out value) || value < 1 || value > MaxLimit))
        {
            error = $"limit must be a whole number from 1 to {MaxLimit}.";
            return false;
        }

        paging = new Paging(value, string.IsNullOrEmpty(cursor) ? null : cursor);
        return true;
    }

    /// <summary>
    /// Cuts a page out of <paramref name="rows"/>, which the query fetched with <c>LIMIT Limit + 1</c>
    /// so that one extra row tells whether there is a next page.
    /// </summary>
    public Page<TOut> ToPage<TRow, TOut>(IReadOnlyList<TRow> rows, Func<TRow, string> id, Func<TRow, TOut> map)
    {
        var count = Math.Min(rows.Count, Limit);
        var data = new TOut[count];
        for (var i = 0; i < count; i++)
        {
            data[i] = map(rows[i]);
        }

        return new Page<TOut>(data, rows.Count > Limit ? id(rows[count - 1]) : null);
    }
}
