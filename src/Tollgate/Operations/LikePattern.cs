using System.Text;

namespace Tollgate.Operations;

/// <summary>
/// Builds a SQL <c>LIKE</c> pattern that matches user text literally: <c>%</c>, <c>_</c> and the escape
/// character itself are escaped, so a search for "%" finds names containing "%" instead of every row.
/// Use with <c>LIKE @pattern ESCAPE '\'</c> (the same in SQLite and PostgreSQL).
/// </summary>
internal static class LikePattern
{
    /// <summary>The escape character the SQL must name in its <c>ESCAPE</c> clause.</summary>
    public const char Escape = '\\';

    /// <summary>A pattern matching values that contain <paramref name="text"/>.</summary>
    public static string Contains(string text)
    {
        var builder = new StringBuilder(text.Length + 4).Append('%');
        foreach (var c in text)
        {
            if (c is '%' or '_' or Escape)
            {
                builder.Append(Escape);
            }

            builder.Append(c);
        }

        return builder.Append('%').ToString();
    }
}
