using System.Net;
using System.Text.Json;
using Dapper;
using Tollgate.Accounts;
using Tollgate.Storage;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Infrastructure;
using Tollgate.Tests.Team;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Accounts;

/// <summary>
/// "Last used" of an API key (<c>lastUsedAt</c> in the keys API): the end of the key's latest request
/// in the ledger, recorded by the ledger writer once per key per batch; <c>null</c> for a key never used.
/// </summary>
public sealed class KeyLastUsedTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task LastUsedAt_AfterParallelRequests_IsTheEndOfTheKeysLatestLedgerRow(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        await CreateKeyAsync(host, "unused");
        var busy = await CreateKeyAsync(host, "busy");
        var keys = await GetAsync(host, $"orgs/{host.OrgId}/keys");
        string IdOf(string name) => keys.GetProperty("data").EnumerateArray().Single(k => k.GetProperty("name").GetString() == name).GetProperty("id").GetString()!;
        var (busyId, unusedId) = (IdOf("busy"), IdOf("unused"));
        Assert.Equal(JsonValueKind.Null, (await GetAsync(host, $"orgs/{host.OrgId}/keys/{busyId}")).GetProperty("lastUsedAt").ValueKind);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => ChatAsync(host, busy))).WaitAsync(Deadline);
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        long latest;
        await using (var connection = await TeamSetup.OpenDatabaseAsync(host.Server))
        {
            latest = await connection.ExecuteScalarAsync<long>("SELECT MAX(ended_at) FROM ledger WHERE key_id = @busyId", new { busyId });
        }

        // Recorded right after the batch commits (no request waits for it): poll with a deadline.
        var expected = ApiTime.FromUnixMs(latest);
        string? seen = null;
        var until = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < until)
        {
            seen = (await GetAsync(host, $"orgs/{host.OrgId}/keys/{busyId}")).GetProperty("lastUsedAt").GetString();
            if (seen == expected)
            {
                break;
            }

            await Task.Delay(50);
        }

        Assert.Equal(expected, seen);
        var listed = (await GetAsync(host, $"orgs/{host.OrgId}/keys")).GetProperty("data").EnumerateArray().ToDictionary(k => k.GetProperty("id").GetString()!);
        Assert.Equal(expected, listed[busyId].GetProperty("lastUsedAt").GetString());
        Assert.Equal(JsonValueKind.Null, listed[unusedId].GetProperty("lastUsedAt").ValueKind);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task LastUsedAt_OlderUseRecordedLater_NeverMovesBack(DbDialect dialect)
    {
        await using var host = await GatewayTestHost.StartAsync(dialect);
        await ChatAsync(host).WaitAsync(Deadline);
        var until = DateTime.UtcNow + Deadline;
        long? recorded = null;
        await using var connection = await TeamSetup.OpenDatabaseAsync(host.Server);
        while (recorded is null && DateTime.UtcNow < until)
        {
            recorded = await connection.ExecuteScalarAsync<long?>("SELECT last_used_at FROM api_keys WHERE id = @KeyId", new { host.KeyId });
            if (recorded is null)
            {
                await Task.Delay(50);
            }
        }

        Assert.NotNull(recorded);

        // A row that ended earlier (a slow attempt settled after a later one) is written after the key was marked;
        // then a row of another key: the writer is sequential, so once that key is marked the old row's update has run.
        var ledger = host.Server.App.Services.GetRequiredService<Tollgate.Budgets.SpendLedger>();
        var row = await connection.QuerySingleAsync<(string OrgId, string ProjectId, string MemberId)>(
            "SELECT org_id AS OrgId, project_id AS ProjectId, member_id AS MemberId FROM ledger WHERE key_id = @KeyId", new { host.KeyId });
        await CreateKeyAsync(host, "marker");
        var markerId = await connection.ExecuteScalarAsync<string>("SELECT id FROM api_keys WHERE name = 'marker'");
        Tollgate.Budgets.LedgerEntry Row(string keyId, DateTimeOffset at) => new()
        {
            Id = "led_" + Guid.NewGuid().ToString("N"), RequestId = "req_" + Guid.NewGuid().ToString("N"), Attempt = 1,
            OrgId = row.OrgId, ProjectId = row.ProjectId, MemberId = row.MemberId, KeyId = keyId, Service = "llm", Endpoint = "chat.completions",
            Model = "fake-model", Provider = "openai", ProviderModel = "fake-model", Status = Tollgate.Budgets.LedgerStatus.Ok, HttpStatus = 200,
            CostPico = 1, StartedAt = at, EndedAt = at,
        };
        await ledger.AppendAsync(Row(host.KeyId, DateTimeOffset.FromUnixTimeMilliseconds(recorded.Value - 60_000))).WaitAsync(Deadline);
        await ledger.AppendAsync(Row(markerId!, DateTimeOffset.UtcNow)).WaitAsync(Deadline);
        until = DateTime.UtcNow + Deadline;
        long? marker = null;
        while (marker is null && DateTime.UtcNow < until)
        {
            marker = await connection.ExecuteScalarAsync<long?>("SELECT last_used_at FROM api_keys WHERE id = @markerId", new { markerId });
            if (marker is null)
            {
                await Task.Delay(50);
            }
        }

        var after = await connection.ExecuteScalarAsync<long?>("SELECT last_used_at FROM api_keys WHERE id = @KeyId", new { host.KeyId });

        Assert.NotNull(marker);
        Assert.Equal(recorded, after);
    }
}
