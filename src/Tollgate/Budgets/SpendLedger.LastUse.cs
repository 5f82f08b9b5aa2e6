using System.Data.Common;
using System.Globalization;
using System.Text;

namespace Tollgate.Budgets;

// "Last used" of API keys, kept by the ledger writer: after a batch is committed and its callers are
// released, one statement records each key's latest use in the batch (the end of its latest row). A
// busy key costs one row update per batch, never one per request, and no request waits for it.
public sealed partial class SpendLedger
{
    /// <summary>
    /// Sets <c>api_keys.last_used_at</c> for the keys of a committed batch, never moving it back. A hint
    /// for people, not money: it runs outside the ledger's transaction (so it takes no key row lock
    /// while member locks are held), PostgreSQL does not wait for the disk, and a failure is logged,
    /// never retried into the charge path.
    /// </summary>
    private async Task RecordLastUseAsync(List<PendingRow> batch)
    {
        var uses = batch
            .Where(r => r.Entry.KeyId.Length > 0)
            .GroupBy(r => r.Entry.KeyId, StringComparer.Ordinal)
            .Select(g => (KeyId: g.Key, At: g.Max(r => r.Entry.EndedAt).ToUnixTimeMilliseconds()))
            .OrderBy(u => u.KeyId, StringComparer.Ordinal) // one lock order for concurrent writers on several nodes
            .ToList();
        if (uses.Count == 0)
        {
            return;
        }

        try
        {
            if (_database.IsPostgres)
            {
                await RecordLastUsePostgresAsync(uses).ConfigureAwait(false);
            }
            else
            {
                RecordLastUseSqlite(uses);
            }
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException)
        {
            LogLastUseFailed(_logger, ex, uses.Count);
        }
    }

    private async Task RecordLastUsePostgresAsync(List<(string KeyId, long At)> uses)
    {
        await using var connection = await _database.OpenAsync().ConfigureAwait(false);
        await using var dbBatch = connection.CreateBatch();
        var begin = dbBatch.CreateBatchCommand();
        begin.CommandText = "BEGIN";
        dbBatch.BatchCommands.Add(begin);
        var relaxed = dbBatch.CreateBatchCommand();
        relaxed.CommandText = "SET LOCAL synchronous_commit = off";
        dbBatch.BatchCommands.Add(relaxed);
        var update = dbBatch.CreateBatchCommand();
        var sql = new StringBuilder("UPDATE api_keys k SET last_used_at = v.at FROM (VALUES ");
        for (var i = 0; i < uses.Count; i++)
        {
            var n = i.ToString(CultureInfo.InvariantCulture);
            sql.Append(i == 0 ? "" : ", ").Append("(@k").Append(n).Append(", @a").Append(n).Append("::bigint)");
            AddParameter(update, "@k" + n, uses[i].KeyId);
            AddParameter(update, "@a" + n, uses[i].At);
        }

        sql.Append(") v (id, at) WHERE k.id = v.id AND (k.last_used_at IS NULL OR k.last_used_at < v.at)");
        update.CommandText = sql.ToString();
        dbBatch.BatchCommands.Add(update);
        var commit = dbBatch.CreateBatchCommand();
        commit.CommandText = "COMMIT";
        dbBatch.BatchCommands.Add(commit);
        try
        {
            await dbBatch.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch
        {
            await RollBackQuietlyAsync(connection).ConfigureAwait(false);
            throw;
        }
    }

    // SQLite: on the writer's own connection (WAL with synchronous=NORMAL: the commit does not wait for the disk).
    private void RecordLastUseSqlite(List<(string KeyId, long At)> uses)
    {
        if (_sqliteConnection is not { } connection)
        {
            return; // the batch failed over to its recovery path; the next batch records its keys
        }

        using var tx = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "UPDATE api_keys SET last_used_at = $at WHERE id = $id AND (last_used_at IS NULL OR last_used_at < $at)";
        var id = command.CreateParameter();
        id.ParameterName = "$id";
        command.Parameters.Add(id);
        var at = command.CreateParameter();
        at.ParameterName = "$at";
        command.Parameters.Add(at);
        foreach (var (keyId, when) in uses)
        {
            id.Value = keyId;
            at.Value = when;
            command.ExecuteNonQuery();
        }

        tx.Commit();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording the last use of {Count} API keys failed")]
    private static partial void LogLastUseFailed(ILogger logger, Exception exception, int count);
}
