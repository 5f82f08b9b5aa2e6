using System.Data.Common;
using Npgsql;

namespace Tollgate.Accounts;

/// <summary>
/// "Column is one of a list" in the dialect's form: Dapper expands <c>IN @ids</c> into one parameter
/// per item on SQLite, but passes a list to Npgsql as one array parameter, which needs <c>= ANY(@ids)</c>.
/// </summary>
internal static class SqlLists
{
    /// <summary><c>IN @name</c> on SQLite, <c>= ANY(@name)</c> on PostgreSQL; bind the parameter to an array.</summary>
    public static string In(DbConnection connection, string parameter) =>
        connection is NpgsqlConnection ? $"= ANY(@{parameter})" : $"IN @{parameter}";
}
