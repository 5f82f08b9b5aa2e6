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

    [Fact]
    public async Task Migrate_Postgres_NodesOfOneSchemaTakeTurns_OtherSchemasDoNotWait()
    {
        await using var busy = new Database(DbDialect.Postgres, await TestDatabases.NewConnectionStringAsync(DbDialect.Postgres));
        await using var other = new Database(DbDialect.Postgres, await TestDatabases.NewConnectionStringAsync(DbDialect.Postgres));
        MigrationRunner Runner(Database db) => new(db, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<MigrationRunner>.Instance);

        // A node of the busy schema is migrating: it holds that schema's lock.
        await using var holder = await busy.OpenAsync();
        await holder.ExecuteAsync("SELECT pg_advisory_lock(1835625831, hashtext(current_setting('search_path')))");

        var waiting = Task.WhenAll(Runner(busy).MigrateAsync(), Runner(busy).MigrateAsync());
        await Runner(other).MigrateAsync().WaitAsync(TimeSpan.FromSeconds(60)); // another schema goes ahead
        Assert.False(waiting.IsCompleted);

        await holder.ExecuteAsync("SELECT pg_advisory_unlock(1835625831, hashtext(current_setting('search_path')))");
        await waiting.WaitAsync(TimeSpan.FromSeconds(60));
        foreach (var db in new[] { busy, other })
        {
            await using var connection = await db.OpenAsync();
            var versions = (await connection.QueryAsync<long>("SELECT version FROM schema_version ORDER BY version")).ToList();
            Assert.Equal(MigrationRunner.Load(DbDialect.Postgres).Select(m => (long)m.Version), versions);
        }
    }
}
