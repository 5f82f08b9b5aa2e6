using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Tollgate.Analytics;

/// <summary>
/// The SQLite ledger writer's two prepared rollup upserts, bound by position through SQLite's own
/// API like the ledger insert beside them: they run on the writer's connection inside its batch
/// transaction, once per distinct rollup or facet key of the batch.
/// </summary>
internal sealed class SqliteRollupUpsert : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _rollup;
    private readonly sqlite3_stmt _facet;

    public SqliteRollupUpsert(SqliteConnection connection)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        Check(raw.sqlite3_prepare_v2(_db, Rollups.SqliteRollupUpsert, out _rollup));
        Check(raw.sqlite3_prepare_v2(_db, Rollups.SqliteFacetUpsert, out _facet));
    }

    /// <summary>Adds the batch's sums inside the connection's open transaction.</summary>
    public void Apply(RollupBatch batch)
    {
        foreach (var (k, s) in batch.Rollups)
        {
            var i = 1;
            Text(_rollup, i++, k.OrgId);
            Int(_rollup, i++, k.BucketStart);
            Text(_rollup, i++, k.MemberId);
            Text(_rollup, i++, k.KeyId);
            Text(_rollup, i++, k.ProjectId);
            Text(_rollup, i++, k.Model);
            Text(_rollup, i++, k.Provider);
            Sums(_rollup, i, s);
            Step(_rollup);
        }

        foreach (var (k, s) in batch.Facets)
        {
            var i = 1;
            Text(_facet, i++, k.OrgId);
            Text(_facet, i++, k.Dimension);
            Int(_facet, i++, k.Grain);
            Int(_facet, i++, k.BucketStart);
            Text(_facet, i++, k.Value);
            Sums(_facet, i, s);
            Step(_facet);
        }
    }

    public void Dispose()
    {
        _rollup.Dispose();
        _facet.Dispose();
    }

    private void Sums(sqlite3_stmt statement, int i, in UsageSums s)
    {
        Int(statement, i++, s.Requests);
        Int(statement, i++, s.Errors);
        Int(statement, i++, s.CostPico);
        Int(statement, i++, s.InputTokens);
        Int(statement, i++, s.OutputTokens);
        Int(statement, i++, s.CachedTokens);
        Int(statement, i, s.ReasoningTokens);
    }

    private void Step(sqlite3_stmt statement)
    {
        try
        {
            var rc = raw.sqlite3_step(statement);
            if (rc != raw.SQLITE_DONE)
            {
                Check(rc);
            }
        }
        finally
        {
            raw.sqlite3_reset(statement);
        }
    }

    private void Int(sqlite3_stmt statement, int index, long value) => Check(raw.sqlite3_bind_int64(statement, index, value));

    private void Text(sqlite3_stmt statement, int index, string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var bytes = max <= 512 ? stackalloc byte[max] : new byte[max];
        var length = Encoding.UTF8.GetBytes(value, bytes);
        Check(raw.sqlite3_bind_text(statement, index, bytes[..length]));
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(_db));
        }
    }
}
