using Dapper;
using Tollgate.Storage;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Storage;

public sealed class MigrationRunnerTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Migrate_FreshDatabase_AppliesEveryMigrationOnce(DbDialect dialect)
    {
        await using var db = await TestDatabases.CreateAsync(dialect);
        var runner = new MigrationRunner(db, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<MigrationRunner>.Instance);

        await runner.MigrateAsync(); // second run: nothing to do

        await using var connection = await db.OpenAsync();
        var versions = (await connection.QueryAsync<long>("SELECT version FROM schema_version ORDER BY version")).ToList();
        Assert.NotEmpty(versions);
        Assert.Equal(MigrationRunner.Load(dialect).Select(m => (long)m.Version), versions);
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM ledger"));
    }
}
