using System.Net;
using Dapper;
using Tollgate.Storage;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Storage;

/// <summary><c>/health</c> (live) and <c>/health/ready</c>: both states, and nothing internal in either.</summary>
public sealed class HealthTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Health_FreshServer_LiveAndReady_WithNothingInternal(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);

        var live = await server.Client.GetAsync("health", TestContext.Current.CancellationToken);
        var ready = await server.Client.GetAsync("health/ready", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("""{"status":"ok"}""", await live.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("""{"status":"ok"}""", await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Ready_DatabaseGone_Says503DatabaseUnreachable_WhileLiveStaysUp()
    {
        await using var server = await TollgateServer.StartAsync(DbDialect.Postgres);
        var schema = new Npgsql.NpgsqlConnectionStringBuilder(server.ConnectionString).SearchPath!;
        await using (var admin = new Npgsql.NpgsqlConnection(TestDatabases.PostgresConnectionString))
        {
            await admin.OpenAsync(TestContext.Current.CancellationToken);
            await using var drop = new Npgsql.NpgsqlCommand($"DROP SCHEMA {schema} CASCADE", admin);
            await drop.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var ready = await server.Client.GetAsync("health/ready", TestContext.Current.CancellationToken);
        var body = await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        var live = await server.Client.GetAsync("health", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        // The reason only: no exception text, connection string or schema name.
        Assert.Equal("""{"status":"unavailable","reason":"database unreachable"}""", body);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Ready_LatestMigrationMissing_Says503MigrationsPending(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);
        await using (var connection = await new Database(dialect, server.ConnectionString).OpenAsync(TestContext.Current.CancellationToken))
        {
            await connection.ExecuteAsync("DELETE FROM schema_version WHERE version = (SELECT MAX(version) FROM schema_version)");
        }

        var ready = await server.Client.GetAsync("health/ready", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("""{"status":"unavailable","reason":"migrations pending"}""", await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Ready_EmptyCatalog_Says503CatalogEmpty()
    {
        var catalog = Path.Combine(Path.GetTempPath(), $"tollgate-empty-catalog-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(catalog, """{"models":[]}""", TestContext.Current.CancellationToken);
        try
        {
            await using var server = await TollgateServer.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Catalog:Path"] = catalog });

            var ready = await server.Client.GetAsync("health/ready", TestContext.Current.CancellationToken);

            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("""{"status":"unavailable","reason":"catalog empty"}""", await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
        finally
        {
            File.Delete(catalog);
        }
    }
}
