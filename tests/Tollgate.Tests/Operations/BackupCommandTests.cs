using System.Diagnostics;
using System.Net;
using Dapper;
using Tollgate.FakeProviders;
using Tollgate.Storage;
using Tollgate.Tests.Gateway;

namespace Tollgate.Tests.Operations;

/// <summary><c>Tollgate backup &lt;file&gt;</c> copies the SQLite database while a server writes to it.</summary>
public sealed class BackupCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Backup_WhileServerTakesTraffic_CopyOpensAndHoldsEveryLedgerRowWrittenBeforeIt()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeOptions { LatencyMs = 5 }).WaitAsync(Timeout);
        var dir = Path.Combine(Path.GetTempPath(), "tollgate-backup-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var dbPath = Path.Combine(dir, "tollgate.db");
        var catalogPath = Path.Combine(dir, "catalog.json");
        await File.WriteAllTextAsync(catalogPath, GatewayTestHost.CatalogJson);
        string[] dbArgs = [$"--Tollgate:Database:ConnectionString=Data Source={dbPath}"];
        await using var server = await ServerProcess.StartAsync(
        [
            .. dbArgs,
            $"--Tollgate:Catalog:Path={catalogPath}",
            $"--Tollgate:Providers:openai:BaseUrl={fake.OpenAIBaseUrl("openai")}",
            "--Tollgate:Providers:openai:ApiKey=sk-backup-test",
            "--Logging:LogLevel:Default=Warning",
        ]).WaitAsync(Timeout);
        var (_, _, key) = await server.CreateOrgWithKeyAsync().WaitAsync(Timeout);

        // :: Traffic that keeps writing ledger rows while the backup runs.
        using var stop = new CancellationTokenSource();
        var answered = 0;
        var traffic = Enumerable.Range(0, 4).Select(async _ =>
        {
            using var client = server.Client(key);
            while (!stop.IsCancellationRequested)
            {
                using var response = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "back me up"), CancellationToken.None);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Interlocked.Increment(ref answered);
            }
        }).ToList();
        var deadline = DateTime.UtcNow + Timeout;
        while (Volatile.Read(ref answered) < 20 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        await using var live = new Database(DbDialect.Sqlite, $"Data Source={dbPath}");
        List<string> before;
        await using (var connection = await live.OpenAsync())
        {
            before = (await connection.QueryAsync<string>("SELECT request_id FROM ledger")).ToList();
        }

        var copyPath = Path.Combine(dir, "backups", "copy.db");
        using var command = Process.Start(ServerProcess.Command(["backup", copyPath, .. dbArgs, "--Logging:LogLevel:Default=Warning"]))!;
        var output = command.StandardOutput.ReadToEndAsync();
        var errors = command.StandardError.ReadToEndAsync();
        await command.WaitForExitAsync().WaitAsync(Timeout);
        var answeredDuringBackup = Volatile.Read(ref answered);
        // Still serving while and after the copy was made.
        while (Volatile.Read(ref answered) < answeredDuringBackup + 5 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await Task.WhenAll(traffic).WaitAsync(Timeout);

        Assert.True(command.ExitCode == 0, $"backup exited {command.ExitCode}: {await errors}");
        Assert.Contains($"to {copyPath}", await output, StringComparison.Ordinal);
        Assert.False(File.Exists(copyPath + ".partial"));
        Assert.True(Volatile.Read(ref answered) >= answeredDuringBackup + 5, "the server stopped serving around the backup");
        Assert.NotEmpty(before);

        await using var copy = new Database(DbDialect.Sqlite, $"Data Source={copyPath}");
        await using (var connection = await copy.OpenAsync())
        {
            var copied = (await connection.QueryAsync<string>("SELECT request_id FROM ledger")).ToHashSet(StringComparer.Ordinal);
            Assert.All(before, id => Assert.Contains(id, copied));
            Assert.Equal(MigrationRunner.Load(DbDialect.Sqlite).Max(m => m.Version), await connection.ExecuteScalarAsync<long>("SELECT MAX(version) FROM schema_version"));
            Assert.Equal("ok", await connection.ExecuteScalarAsync<string>("PRAGMA integrity_check"));
        }

        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public async Task Backup_WithoutAFile_ExitsWithUsage()
    {
        using var command = Process.Start(ServerProcess.Command(["backup", "--Tollgate:Database:ConnectionString=Data Source=" + Path.Combine(Path.GetTempPath(), $"tollgate-nobackup-{Guid.NewGuid():N}.db")]))!;
        var errors = command.StandardError.ReadToEndAsync();
        await command.StandardOutput.ReadToEndAsync().WaitAsync(Timeout);
        await command.WaitForExitAsync().WaitAsync(Timeout);

        Assert.Equal(2, command.ExitCode);
        Assert.Contains("Usage: Tollgate backup <file>", await errors, StringComparison.Ordinal);
    }
}
