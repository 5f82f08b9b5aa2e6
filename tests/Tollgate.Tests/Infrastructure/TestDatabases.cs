using Dapper;
using Npgsql;
using Tollgate.Storage;

namespace Tollgate.Tests.Infrastructure;

/// <summary>
/// Fresh, migrated databases for tests: a new SQLite file, or a new PostgreSQL schema in the
/// database named by <c>TOLLGATE_TEST_PG</c> (set by <c>scripts/test.sh</c>). Each test owns its data.
/// </summary>
public static class TestDatabases
{
    /// <summary>Both dialects, for <c>[Theory, MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]</c>.</summary>
    public static TheoryData<DbDialect> Dialects => new(DbDialect.Sqlite, DbDialect.Postgres);

    /// <summary>The PostgreSQL connection string for tests; fails loudly when missing.</summary>
    public static string PostgresConnectionString =>
        Environment.GetEnvironmentVariable("TOLLGATE_TEST_PG")
        ?? throw new InvalidOperationException("TOLLGATE_TEST_PG is not set: run the tests with scripts/test.sh, which starts PostgreSQL.");

    /// <summary>A connection string for a new, empty database of the dialect (schema not yet created).</summary>
    public static async Task<string> NewConnectionStringAsync(DbDialect dialect)
    {
        if (dialect == DbDialect.Sqlite)
        {
            var dir = Path.Combine(Path.GetTempPath(), "tollgate-tests");
            Directory.CreateDirectory(dir);
            return $"Data Source={Path.Combine(dir, Guid.NewGuid().ToString("N") + ".db")}";
        }

        var schema = "t_" + Guid.NewGuid().ToString("N");
        await using (var admin = new NpgsqlConnection(PostgresConnectionString))
        {
            await admin.OpenAsync();
            await admin.ExecuteAsync($"CREATE SCHEMA {schema}");
        }

        return new NpgsqlConnectionStringBuilder(PostgresConnectionString) { SearchPath = schema }.ToString();
    }

    /// <summary>A new, migrated database.</summary>
    public static async Task<Database> CreateAsync(DbDialect dialect)
    {
        var db = new Database(dialect, await NewConnectionStringAsync(dialect));
        await new MigrationRunner(db, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<MigrationRunner>.Instance).MigrateAsync();
        return db;
    }
}
