using System.Net;
using Tollgate.Storage;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Storage;

public sealed class HealthTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Health_FreshServer_ReportsReadyWithMigratedSchema(DbDialect dialect)
    {
        await using var server = await TollgateServer.StartAsync(dialect);

        var response = await server.Client.GetAsync("health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains($"\"database\":\"{dialect.ToString().ToLowerInvariant()}\"", body, StringComparison.Ordinal);
        Assert.Contains($"\"schemaVersion\":{MigrationRunner.Load(dialect).Max(m => m.Version)}", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_DatabaseGone_Says503UnavailableWithoutTheReason()
    {
        await using var server = await TollgateServer.StartAsync(DbDialect.Postgres);
        var schema = new Npgsql.NpgsqlConnectionStringBuilder(server.ConnectionString).SearchPath!;
        await using (var admin = new Npgsql.NpgsqlConnection(TestDatabases.PostgresConnectionString))
        {
            await admin.OpenAsync(TestContext.Current.CancellationToken);
            await using var drop = new Npgsql.NpgsqlCommand($"DROP SCHEMA {schema} CASCADE", admin);
            await drop.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var response = await server.Client.GetAsync("health", TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("""{"status":"unavailable"}""", body);
    }
}
