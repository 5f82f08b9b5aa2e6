using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using Tollgate.Analytics;
using Tollgate.Budgets;
using Tollgate.Storage;

namespace Tollgate.Bench;

/// <summary>
/// Bulk-loads what <see cref="AnalyticsBench"/> simulates, a day at a time: rollup and facet rows
/// summed exactly as the ledger writer sums them (<see cref="RollupBatch"/>), and plain ledger rows.
/// SQLite through the writer's own upserts, in key order, one transaction a day; PostgreSQL through
/// binary COPY, one stream per table on its own connection.
/// </summary>
internal sealed class BenchLoader : IAsyncDisposable
{
    private const string LedgerColumns =
        "id, request_id, attempt, org_id, project_id, member_id, key_id, service, endpoint, model, provider, provider_model, status, http_status, "
        + "input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, cost_pico, usage_estimated, streamed, cancelled, "
        + "latency_ms, started_at, ended_at";

    private readonly DbConnection _main;
    private readonly List<NpgsqlConnection> _others = [];
    private NpgsqlBinaryImporter? _rollups;
    private NpgsqlBinaryImporter? _facets;
    private NpgsqlBinaryImporter? _ledger;
    private SqliteCommand? _ledgerInsert;

    private BenchLoader(DbConnection main) => _main = main;

    public static async Task<BenchLoader> OpenAsync(Database database)
    {
        var loader = new BenchLoader(await database.OpenAsync());
        if (loader._main is NpgsqlConnection pg)
        {
            var second = (NpgsqlConnection)await database.OpenAsync();
            var third = (NpgsqlConnection)await database.OpenAsync();
            loader._others.AddRange([second, third]);
            loader._rollups = await pg.BeginBinaryImportAsync(
                "COPY usage_rollups (org_id, bucket_start, member_id, key_id, project_id, model, provider, requests, errors, cost_pico, input_tokens, output_tokens, cached_tokens, reasoning_tokens) FROM STDIN (FORMAT BINARY)");
            loader._facets = await second.BeginBinaryImportAsync(
                "COPY usage_facets (org_id, dimension, grain, bucket_start, value, requests, errors, cost_pico, input_tokens, output_tokens, cached_tokens, reasoning_tokens) FROM STDIN (FORMAT BINARY)");
            loader._ledger = await third.BeginBinaryImportAsync($"COPY ledger ({LedgerColumns}) FROM STDIN (FORMAT BINARY)");
        }

        return loader;
    }

    public async Task AddRollupsAsync(RollupBatch batch)
    {
        if (_rollups is not null && _facets is not null)
        {
            foreach (var (k, s) in batch.Rollups)
            {
                await _rollups.WriteRowAsync(default, k.OrgId, k.BucketStart, k.MemberId, k.KeyId, k.ProjectId, k.Model, k.Provider,
                    s.Requests, s.Errors, s.CostPico, s.InputTokens, s.OutputTokens, s.CachedTokens, s.ReasoningTokens);
            }

            foreach (var (k, s) in batch.Facets)
            {
                await _facets.WriteRowAsync(default, k.OrgId, k.Dimension, k.Grain, k.BucketStart, k.Value,
                    s.Requests, s.Errors, s.CostPico, s.InputTokens, s.OutputTokens, s.CachedTokens, s.ReasoningTokens);
            }

            return;
        }

        // The writer's own statements, fed in key order so the B-trees grow at their ends.
        var sorted = new RollupBatch();
        foreach (var (k, s) in batch.Rollups.OrderBy(r => r.Key.BucketStart).ThenBy(r => r.Key.MemberId, StringComparer.Ordinal).ThenBy(r => r.Key.KeyId, StringComparer.Ordinal))
        {
            sorted.Rollups[k] = s;
        }

        foreach (var (k, s) in batch.Facets.OrderBy(r => r.Key.Dimension, StringComparer.Ordinal).ThenBy(r => r.Key.Grain)
                     .ThenBy(r => r.Key.BucketStart).ThenBy(r => r.Key.Value, StringComparer.Ordinal))
        {
            sorted.Facets[k] = s;
        }

        await using var tx = await _main.BeginTransactionAsync();
        using (var upsert = new SqliteRollupUpsert((SqliteConnection)_main))
        {
            upsert.Apply(sorted);
        }

        await tx.CommitAsync();
    }

    public async Task AddLedgerAsync(List<LedgerEntry> entries)
    {
        if (_ledger is not null)
        {
            foreach (var e in entries)
            {
                await _ledger.StartRowAsync();
                foreach (var text in new[] { e.Id, e.RequestId })
                {
                    await _ledger.WriteAsync(text, NpgsqlDbType.Text);
                }

                await _ledger.WriteAsync(e.Attempt, NpgsqlDbType.Integer);
                foreach (var text in new[] { e.OrgId, e.ProjectId, e.MemberId, e.KeyId, e.Service, e.Endpoint, e.Model, e.Provider, e.ProviderModel, Status(e) })
                {
                    await _ledger.WriteAsync(text, NpgsqlDbType.Text);
                }

                await _ledger.WriteAsync(e.HttpStatus, NpgsqlDbType.Integer);
                foreach (var number in new[] { e.InputTokens, e.CachedInputTokens, e.CacheWriteTokens, e.OutputTokens, e.ReasoningTokens, e.CostPico })
                {
                    await _ledger.WriteAsync(number, NpgsqlDbType.Bigint);
                }

                foreach (var flag in new[] { false, false, false })
                {
                    await _ledger.WriteAsync(flag, NpgsqlDbType.Boolean);
                }

                foreach (var number in new[] { 500L, e.StartedAt.ToUnixTimeMilliseconds(), e.EndedAt.ToUnixTimeMilliseconds() })
                {
                    await _ledger.WriteAsync(number, NpgsqlDbType.Bigint);
                }
            }

            return;
        }

        await using var tx = await _main.BeginTransactionAsync();
        if (_ledgerInsert is null)
        {
            _ledgerInsert = (SqliteCommand)_main.CreateCommand();
            _ledgerInsert.CommandText = $"INSERT INTO ledger ({LedgerColumns}) VALUES ("
                + string.Join(", ", Enumerable.Range(1, 26).Select(i => "$p" + i)) + ")";
            for (var i = 1; i <= 26; i++)
            {
                _ledgerInsert.Parameters.Add(new SqliteParameter("$p" + i, null));
            }
        }

        _ledgerInsert.Transaction = (SqliteTransaction)tx;
        foreach (var e in entries)
        {
            object[] values =
            [
                e.Id, e.RequestId, e.Attempt, e.OrgId, e.ProjectId, e.MemberId, e.KeyId, e.Service, e.Endpoint, e.Model, e.Provider, e.ProviderModel,
                Status(e), e.HttpStatus, e.InputTokens, e.CachedInputTokens, e.CacheWriteTokens, e.OutputTokens, e.ReasoningTokens, e.CostPico,
                0, 0, 0, 500, e.StartedAt.ToUnixTimeMilliseconds(), e.EndedAt.ToUnixTimeMilliseconds(),
            ];
            for (var i = 0; i < values.Length; i++)
            {
                _ledgerInsert.Parameters[i].Value = values[i];
            }

            await _ledgerInsert.ExecuteNonQueryAsync();
        }

        await tx.CommitAsync();
    }

    public async Task CompleteAsync()
    {
        foreach (var importer in new[] { _rollups, _facets, _ledger })
        {
            if (importer is not null)
            {
                await importer.CompleteAsync();
                await importer.DisposeAsync();
            }
        }

        _rollups = _facets = _ledger = null;
        await _main.ExecuteAsync(_main is NpgsqlConnection ? "ANALYZE usage_rollups; ANALYZE usage_facets; ANALYZE ledger;" : "ANALYZE main", commandTimeout: 0);
    }

    public async ValueTask DisposeAsync()
    {
        _ledgerInsert?.Dispose();
        foreach (var other in _others)
        {
            await other.DisposeAsync();
        }

        await _main.DisposeAsync();
    }

    private static string Status(LedgerEntry e) => e.Status == LedgerStatus.UpstreamError ? "upstream_error" : "ok";
}
