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
}
