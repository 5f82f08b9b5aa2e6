using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Tollgate.Budgets;
using Tollgate.Storage;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Analytics;

/// <summary>
/// A ledger batch that fails is retried, then written row by row: one bad row fails only its own
/// append, never its neighbours' (issue 8), and what is written is in the rollups once.
/// </summary>
public sealed class LedgerBatchFailureTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static LedgerEntry Row(string id, string requestId, long cost) => new()
    {
        Id = id, RequestId = requestId, Attempt = 1, OrgId = "org_batch", ProjectId = "prj_batch", MemberId = "mem_batch", KeyId = "key_batch",
        Service = "llm", Endpoint = "chat.completions", Model = "fake-model", Provider = "openai", ProviderModel = "fake-upstream-model",
        Status = LedgerStatus.Ok, HttpStatus = 200, InputTokens = 10, OutputTokens = 5, CostPico = cost,
        StartedAt = DateTimeOffset.UtcNow, EndedAt = DateTimeOffset.UtcNow, NodeId = "node_test",
    };

    /// <summary>Holds the ledger against inserts until disposed, so appends queue up into one batch.</summary>
    private static async Task<(DbConnection Connection, DbTransaction Tx)> BlockLedgerAsync(Database database)
    {
        var connection = await database.OpenAsync();
        var tx = await Database.BeginWriteAsync(connection);
        if (database.IsPostgres)
        {
            await connection.ExecuteAsync("LOCK TABLE ledger IN EXCLUSIVE MODE", transaction: tx);
        }
        else
        {
            await connection.ExecuteAsync("INSERT INTO nodes (node_id, started_at, heartbeat_at) VALUES ('blocker', 0, 0)", transaction: tx);
        }

        return (connection, tx);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Batch_WithOnePoisonedRow_CommitsEveryOtherRow(DbDialect dialect)
    {
        await using var database = await TestDatabases.CreateAsync(dialect);
        await using (var ledger = new SpendLedger(database, NullLogger<SpendLedger>.Instance))
        {
            await ledger.AppendAsync(Row("led_existing", "req_existing", 1_000)).WaitAsync(Timeout);

            // The writer is held while twenty rows queue: they are written as one batch. One of them
            // reuses an existing row id with a new request, which no insert can take.
            var (blocker, tx) = await BlockLedgerAsync(database);
            var appends = new List<Task>();
            for (var i = 0; i < 20; i++)
            {
                appends.Add(i == 7
                    ? ledger.AppendAsync(Row("led_existing", "req_poisoned", 5_000))
                    : ledger.AppendAsync(Row($"led_{i}", $"req_{i}", 1_000 + i)));
            }

            await tx.RollbackAsync();
            await tx.DisposeAsync();
            await blocker.DisposeAsync();
            await Task.WhenAll(appends.Select(a => a.ContinueWith(_ => { }, TaskScheduler.Default))).WaitAsync(Timeout);

            Assert.True(appends[7].IsFaulted);
            Assert.All(appends.Where((_, i) => i != 7), a => Assert.True(a.IsCompletedSuccessfully, a.Exception?.ToString()));
        }

        await using var connection = await database.OpenAsync();
        var requests = (await connection.QueryAsync<string>("SELECT request_id FROM ledger")).ToHashSet();
        Assert.Equal(20, requests.Count);
        Assert.DoesNotContain("req_poisoned", requests);
        await RollupAssert.EqualToLedgerAsync(connection);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task Append_OfARowAlreadyWritten_IsCountedOnce(DbDialect dialect)
    {
        await using var database = await TestDatabases.CreateAsync(dialect);
        await using (var ledger = new SpendLedger(database, NullLogger<SpendLedger>.Instance))
        {
            var row = Row("led_once", "req_once", 42_000);
            await ledger.AppendAsync(row).WaitAsync(Timeout);
            await Task.WhenAll(ledger.AppendAsync(row), ledger.AppendAsync(row with { Id = "led_once" })).WaitAsync(Timeout);
        }

        await using var connection = await database.OpenAsync();
        Assert.Equal(42_000, await connection.ExecuteScalarAsync<long>("SELECT SUM(cost_pico) FROM usage_rollups"));
        await RollupAssert.EqualToLedgerAsync(connection);
    }
}
