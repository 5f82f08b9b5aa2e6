using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Tollgate.Budgets;

/// <summary>
/// The SQLite ledger writer's one prepared insert, bound by position through SQLite's own API.
/// Binding dozens of named parameters through ADO.NET looked each name up and crossed a safe handle
/// per value; at gateway rates that was a visible share of a request's CPU. The statement runs
/// inside whatever transaction the connection has open and is reset after every row, so a
/// commit never meets a statement in progress.
/// </summary>
internal sealed class SqliteLedgerInsert : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    public SqliteLedgerInsert(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        Check(raw.sqlite3_prepare_v2(_db, sql, out _statement));
    }

    /// <summary>Inserts the row; false when (request_id, attempt) was already there.</summary>
    public bool Insert(LedgerEntry e)
    {
        try
        {
            // Positions follow the statement's parameters: the column order of the ledger insert.
            var i = 1;
            Text(i++, e.Id);
            Text(i++, e.RequestId);
            Int(i++, e.Attempt);
            Text(i++, e.OrgId);
            Text(i++, e.ProjectId);
            Text(i++, e.MemberId);
            Text(i++, e.KeyId);
            Text(i++, e.Service);
            Text(i++, e.Endpoint);
            Text(i++, e.Model);
            Text(i++, e.Provider);
            Text(i++, e.ProviderModel);
            Text(i++, SpendLedger.StatusName(e.Status));
            Int(i++, e.HttpStatus);
            Int(i++, e.InputTokens);
            Int(i++, e.CachedInputTokens);
            Int(i++, e.CacheWriteTokens);
            Int(i++, e.OutputTokens);
            Int(i++, e.ReasoningTokens);
            Int(i++, e.CostPico);
            Int(i++, e.UsageEstimated ? 1 : 0);
            Int(i++, e.Streamed ? 1 : 0);
            Int(i++, e.Cancelled ? 1 : 0);
            Int(i++, e.LatencyMs);
            Int(i++, e.StartedAt.ToUnixTimeMilliseconds());
            Int(i++, e.EndedAt.ToUnixTimeMilliseconds());
            Text(i++, e.Error);
            Text(i++, e.NodeId);
            Int(i++, e.CreditsPico);
            Text(i++, e.Credential);
            var units = e.Units;
            Int(i++, units?.Characters);
            Int(i++, units?.Images);
            Text(i++, units?.ImageVariant);
            Int(i++, units?.Pages);
            Text(i++, units?.AudioSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Text(i++, units?.VideoSeconds?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Text(i, units?.VideoVariant);

            var rc = raw.sqlite3_step(_statement);
            if (rc != raw.SQLITE_DONE)
            {
                Check(rc);
            }

            return raw.sqlite3_changes(_db) == 1;
        }
        finally
        {
            raw.sqlite3_reset(_statement); // every parameter is bound again for the next row
        }
    }

    public void Dispose() => _statement.Dispose();

    private void Int(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    private void Int(int index, long? value) =>
        Check(value is { } v ? raw.sqlite3_bind_int64(_statement, index, v) : raw.sqlite3_bind_null(_statement, index));

    private void Text(int index, string? value)
    {
        if (value is null)
        {
            Check(raw.sqlite3_bind_null(_statement, index));
            return;
        }

        // Ids and names are short: encode on the stack (SQLite copies the bytes).
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        var bytes = max <= 512 ? stackalloc byte[max] : new byte[max];
        var length = Encoding.UTF8.GetBytes(value, bytes);
        Check(raw.sqlite3_bind_text(_statement, index, bytes[..length]));
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(_db).utf8_to_string(), rc, raw.sqlite3_extended_errcode(_db));
        }
    }
}
