using System.Diagnostics;
using System.Net.Http.Json;
using Dapper;
using Npgsql;
using Tollgate.Analytics;
using Tollgate.Storage;
using Tollgate.Tests.Budgets;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Analytics;

/// <summary>Rollups are written with the ledger rows they count, equal the ledger after any load, and are rebuilt from it.</summary>
public sealed class RollupConsistencyTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Concurrent traffic on two keys: plain, streamed, cached and reasoning tokens, streams cut upstream (errors), upstream errors, fallbacks, metered events.</summary>
    internal static async Task SendMixedTrafficAsync(GatewayTestHost host, int requests = 48)
    {
        var secondKey = await BudgetTestCalls.CreateKeyAsync(host, "second");
        using var first = host.GatewayClient();
        using var second = host.Server.CreateClient(secondKey);
        var calls = Enumerable.Range(0, requests).Select(async i =>
        {
            var client = i % 2 == 0 ? first : second;
            var (model, text) = (i % 6) switch
            {
                0 => ("fake-model", "plain"),
                1 => ("fake-model", "fake:cached_tokens=3 fake:reasoning_tokens=2 tokens"),
                2 => ("fake-model", "fake:cut_after_chunks=2 cut mid-stream"),
                3 => ("fallback-model", "routed"),
                4 => ("fake-model", "fake:status=500 refused upstream"),
                _ => ("fake-model", "streamed"),
            };
            using var response = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody(model, text, stream: i % 6 is 5 or 2, includeUsage: i % 6 is 5 or 2, maxTokens: 20));
            await response.Content.ReadAsStringAsync();
        }).ToList();
        calls.Add(Task.Run(async () =>
        {
            for (var i = 0; i < 4; i++)
            {
                var report = new { service = "gpu", cost = "0.25", idempotencyKey = $"gpu-{i}", occurredAt = DateTimeOffset.UtcNow.ToString("O"), description = "hour" };
                (await first.PostAsJsonAsync("v1/usage/events", report)).EnsureSuccessStatusCode();
                (await first.PostAsJsonAsync("v1/usage/events", report)).EnsureSuccessStatusCode(); // a repeat is charged once
            }
        }));
        await Task.WhenAll(calls).WaitAsync(Timeout);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Rollups_AfterConcurrentTraffic_EqualTheLedger(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);

        await SendMixedTrafficAsync(host);

        await using var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync().AsTask().WaitAsync(Timeout);
        var ledger = await RollupAssert.LedgerAsync(connection);
        Assert.True(ledger.Count == 52, string.Join("; ", ledger.GroupBy(r => r.Model + "/" + r.Status).Select(g => g.Key + "=" + g.Count())));
        Assert.Contains(ledger, r => r.Status == "failed");
        Assert.Contains(ledger, r => r.Status == "upstream_error");
        Assert.Equal(4, ledger.Count(r => r.CostPico == 250_000_000_000));
        await RollupAssert.EqualToLedgerAsync(connection);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task RebuildRollupsCommand_AfterTheRollupsWereDamaged_RestoresThemFromTheLedger(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        await SendMixedTrafficAsync(host, requests: 12);
        await using var connection = await host.Server.App.Services.GetRequiredService<Database>().OpenAsync().AsTask().WaitAsync(Timeout);
        await connection.ExecuteAsync("DELETE FROM usage_rollups WHERE model = 'fake-model'");
        await connection.ExecuteAsync("UPDATE usage_facets SET cost_pico = cost_pico + 7");
        await Assert.ThrowsAnyAsync<Exception>(() => RollupAssert.EqualToLedgerAsync(connection));

        // The command as an operator runs it: the server's own entry point with the argument.
        var output = await RunRebuildAsync(dialect, host.Server.ConnectionString);

        Assert.Contains("Rebuilt the rollups", output, StringComparison.Ordinal);
        await RollupAssert.EqualToLedgerAsync(connection);
    }

    private static async Task<string> RunRebuildAsync(DbDialect dialect, string connectionString)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var arg in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "Tollgate.dll"), AnalyticsServices.RebuildCommand,
            "--Tollgate:Database:Provider=" + (dialect == DbDialect.Postgres ? "postgres" : "sqlite"),
            "--Tollgate:Database:ConnectionString=" + connectionString,
        })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        Assert.True(process.ExitCode == 0, await stdout + await stderr);
        return await stdout;
    }
}
