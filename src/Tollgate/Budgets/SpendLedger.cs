using System.Data.Common;
using System.Globalization;
using System.Threading.Channels;
using Tollgate.Storage;

namespace Tollgate.Budgets;

/// <summary>
/// Appends ledger rows durably with group commit: concurrent appends are written together in one
/// transaction, and each caller's task completes only once its row is committed. One commit per
/// batch instead of one per request is what keeps SQLite's single writer off the critical path.
/// Invariant: a row is never written twice — (request_id, attempt) is unique and inserts ignore
/// a conflict, so a retried append after an ambiguous failure cannot double-charge. A row charged
/// to credits (<see cref="LedgerEntry.CreditsPico"/>) raises its org's charged credits in the same
/// transaction, and only when the row is actually inserted.
/// </summary>
public sealed partial class SpendLedger : IAsyncDisposable, ILedgerAppender
{
    private const int MaxBatch = 256;

    // Backoff between the attempts at one write: short, since the callers' requests wait for it.
    private static readonly int[] RetryDelaysMs = [20, 100];

    private const string Columns = """
        id, request_id, attempt, org_id, project_id, member_id, key_id, service, endpoint,
            model, provider, provider_model, status, http_status, input_tokens, cached_input_tokens,
            cache_write_tokens, output_tokens, reasoning_tokens, cost_pico, usage_estimated, streamed, cancelled,
            latency_ms, started_at, ended_at, error, node_id, credits_pico, credential,
            unit_characters, unit_images, unit_image_variant, unit_pages, unit_audio_seconds, unit_video_seconds, unit_video_variant
        """;

    // The parameters of one row, in column order; several rows in one statement suffix them (@Id_3).
    private static readonly string[] ParameterNames =
    [
        "Id", "RequestId", "Attempt", "OrgId", "ProjectId", "MemberId", "KeyId", "Service", "Endpoint",
        "Model", "Provider", "ProviderModel", "Status", "HttpStatus", "InputTokens", "CachedInputTokens",
        "CacheWriteTokens", "OutputTokens", "ReasoningTokens", "CostPico", "UsageEstimated", "Streamed", "Cancelled",
        "LatencyMs", "StartedAt", "EndedAt", "Error", "NodeId", "CreditsPico", "Credential",
        "UnitCharacters", "UnitImages", "UnitImageVariant", "UnitPages", "UnitAudioSeconds", "UnitVideoSeconds", "UnitVideoVariant",
    ];

    private static readonly string InsertSql =
        $"INSERT INTO ledger ({Columns}) VALUES {Values("")} ON CONFLICT (request_id, attempt) DO NOTHING";

    private readonly Database _database;
    private readonly ILogger<SpendLedger> _logger;
    private readonly TimeProvider _time;
    private readonly Channel<PendingRow> _queue = Channel.CreateUnbounded<PendingRow>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private DbConnection? _sqliteConnection;

    /// <summary>
    /// SQLite: called for every row actually inserted, right after its commit and under
    /// <see cref="Database.LedgerCommitLock"/> (the budget engine counts it there).
    /// </summary>
    internal Action<LedgerEntry>? OnCommitted { get; set; }
    private SqliteLedgerInsert? _sqliteInsert;
    private Tollgate.Analytics.SqliteRollupUpsert? _sqliteRollups;

    public SpendLedger(Database database, ILogger<SpendLedger> logger, TimeProvider? time = null)
    {
        _database = database;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Appends a row; completes when the row is committed.</summary>
    public Task AppendAsync(LedgerEntry entry)
    {
        var pending = new PendingRow(entry, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("The spend ledger is shut down.");
        }

        return pending.Committed.Task;
    }

    /// <summary>Flushes what is queued and stops the writer.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        _sqliteInsert?.Dispose();
        _sqliteRollups?.Dispose();
        if (_sqliteConnection is not null)
        {
            await _sqliteConnection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingRow>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var row))
            {
                batch.Add(row);
            }

            await WriteAndCompleteAsync(batch).ConfigureAwait(false);
            batch.Clear();
        }
    }

    /// <summary>
    /// Writes a batch and completes its callers. A failed write is retried (inserts are idempotent: a
    /// row already written is skipped, and holds, credits and rollups move only with rows actually
    /// inserted, so an attempt that did commit before failing is harmless to repeat). When the batch
    /// still fails, each row is written on its own, so one bad row fails only its own request.
    /// </summary>
    private async Task WriteAndCompleteAsync(List<PendingRow> batch)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var error = await TryWriteAsync(batch).ConfigureAwait(false);
        if (error is null)
        {
            Tollgate.Telemetry.GatewayMetrics.LedgerBatchWritten(batch.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            foreach (var row in batch)
            {
                row.Committed.TrySetResult();
            }

            await RecordLastUseAsync(batch).ConfigureAwait(false);
            return;
        }

        LogWriteFailed(_logger, error, batch.Count);
        if (batch.Count == 1)
        {
            batch[0].Committed.TrySetException(error);
            return;
        }

        var single = new List<PendingRow>(1);
        foreach (var row in batch)
        {
            single.Add(row);
            if (await TryWriteAsync(single).ConfigureAwait(false) is { } rowError)
            {
                LogWriteFailed(_logger, rowError, 1);
                row.Committed.TrySetException(rowError);
            }
            else
            {
                row.Committed.TrySetResult();
            }

            single.Clear();
        }
    }

    /// <summary>Writes the rows, retrying with backoff; the last error when every attempt failed.</summary>
    private async Task<Exception?> TryWriteAsync(List<PendingRow> rows)
    {
        Exception? last = null;
        for (var attempt = 0; attempt < RetryDelaysMs.Length + 1; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(RetryDelaysMs[attempt - 1]).ConfigureAwait(false);
            }

            try
            {
                await WriteBatchAsync(rows).ConfigureAwait(false);
                return null;
            }
            catch (Exception ex)
            {
                last = ex;
            }
        }

        return last;
    }

    private async Task WriteBatchAsync(List<PendingRow> batch)
    {
        if (_database.IsPostgres)
        {
            await WritePostgresBatchAsync(batch).ConfigureAwait(false);
        }
        else
        {
            WriteSqliteBatch(batch);
        }
    }

    private async Task WritePostgresBatchAsync(List<PendingRow> batch)
    {
        await using var connection = await _database.OpenAsync().ConfigureAwait(false);

        // The whole transaction, BEGIN to COMMIT, in one round trip. Each member's rows are written under that member's
        // advisory lock (taken in id order, so batches cannot deadlock), which makes the sequence order
        // of a member's rows their commit order for the nodes that tail them; each charge lowers its
        // hold (or drops it, on the last attempt) in the same transaction.
        //
        // Rows charged to credits also raise their org's charged credits, under the org's credits lock
        // (orgs sorted, after every member lock: the global order). They are inserted in one statement
        // that adds only the rows actually inserted, per org, so a repeated row is never charged twice.
        //
        // The commit does not wait for the disk while it holds those locks (admissions wait on them):
        // it returns at once, and the barrier below waits for durability.
        await using var dbBatch = connection.CreateBatch();
        void Add(string sql, params (string Name, object Value)[] parameters)
        {
            var command = dbBatch.CreateBatchCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                var p = command.CreateParameter();
                p.ParameterName = name;
                p.Value = value;
                command.Parameters.Add(p);
            }

            dbBatch.BatchCommands.Add(command);
        }

        Add("BEGIN");
        Add("SET LOCAL synchronous_commit = off");
        foreach (var memberId in batch.Select(r => r.Entry.MemberId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            Add("SELECT pg_advisory_xact_lock(hashtext(@m))", ("@m", memberId));
        }

        var credited = batch.Where(r => r.Entry.CreditsPico != 0).ToList();
        foreach (var orgId in credited.Select(r => r.Entry.OrgId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            Add(OrgCredits.LockSql, ("@orgId", orgId));
        }

        // Every row in one statement: the rows actually inserted (RETURNING) lower their holds, charge
        // their orgs' credits and add to the rollups, so repeating a batch after an ambiguous failure
        // moves nothing twice. Holds dropped by a last attempt are deleted after it (idempotent anyway).
        var statement = dbBatch.CreateBatchCommand();
        var sql = new System.Text.StringBuilder();
        sql.Append("WITH inserted AS (INSERT INTO ledger (").Append(Columns).Append(") VALUES ");
        for (var i = 0; i < batch.Count; i++)
        {
            var suffix = "_" + i.ToString(CultureInfo.InvariantCulture);
            sql.Append(i == 0 ? "" : ", ").Append(Values(suffix));
            Bind(statement.Parameters, statement.CreateParameter, batch[i].Entry, suffix);
        }

        sql.Append(" ON CONFLICT (request_id, attempt) DO NOTHING RETURNING ").Append(Tollgate.Analytics.Rollups.PostgresReturning).Append("),\n");
        var lowered = batch.Where(r => r.Entry is { HoldId: not null, DropsHold: false }).ToList();
        if (lowered.Count > 0)
        {
            sql.Append("lowered AS (UPDATE budget_holds h SET amount_pico = GREATEST(h.amount_pico - l.cost, 0) FROM (")
                .Append("SELECT v.hold, SUM(i.cost_pico) AS cost FROM (VALUES ");
            for (var i = 0; i < lowered.Count; i++)
            {
                var n = i.ToString(CultureInfo.InvariantCulture);
                sql.Append(i == 0 ? "" : ", ").Append("(@hold_").Append(n).Append(", @holdReq_").Append(n).Append(", @holdAttempt_").Append(n).Append(')');
                AddParameter(statement, "@hold_" + n, lowered[i].Entry.HoldId!);
                AddParameter(statement, "@holdReq_" + n, lowered[i].Entry.RequestId);
                AddParameter(statement, "@holdAttempt_" + n, lowered[i].Entry.Attempt);
            }

            sql.Append(") v (hold, request_id, attempt) JOIN inserted i ON i.request_id = v.request_id AND i.attempt = v.attempt GROUP BY v.hold ORDER BY v.hold) l ")
                .Append("WHERE h.id = l.hold),\n");
        }

        sql.Append("""
            charged AS (
                INSERT INTO org_credits (org_id, credited_pico, charged_pico)
                SELECT org_id, 0, SUM(credits_pico) FROM inserted WHERE credits_pico <> 0 GROUP BY org_id ORDER BY org_id
                ON CONFLICT (org_id) DO UPDATE SET charged_pico = org_credits.charged_pico + excluded.charged_pico),
            """).Append('\n').Append(Tollgate.Analytics.Rollups.PostgresFromInserted);
        statement.CommandText = sql.ToString();
        dbBatch.BatchCommands.Add(statement);
        foreach (var holdId in batch.Where(r => r.Entry.DropsHold && r.Entry.HoldId is not null).Select(r => r.Entry.HoldId!).Distinct(StringComparer.Ordinal))
        {
            Add("DELETE FROM budget_holds WHERE id = @hold", ("@hold", holdId));
        }

        // A row that ended before yesterday changes a closed day: move its org's analytics epoch, last
        // (nothing is locked after it) and in org order. A repeated row moves it again: harmless.
        foreach (var orgId in Tollgate.Analytics.AnalyticsEpochs.LateOrgs(batch.Select(r => r.Entry), _time.GetUtcNow()).Order(StringComparer.Ordinal))
        {
            Add(Tollgate.Analytics.AnalyticsEpochs.BumpSql, ("@orgId", orgId));
        }

        Add("COMMIT");
        try
        {
            await dbBatch.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch
        {
            await RollBackQuietlyAsync(connection).ConfigureAwait(false);
            throw;
        }

        // Durability barrier: a write committed synchronously after the batch's commit record returns
        // only once the WAL is on disk up to it, so the batch is durable when the callers hear of it.
        // (A row rewritten with its own values still writes WAL; a missing row is inserted as long dead.)
        await using var barrier = connection.CreateCommand();
        barrier.CommandText = """
            INSERT INTO nodes (node_id, started_at, heartbeat_at) VALUES (@node, 0, 0)
            ON CONFLICT (node_id) DO UPDATE SET node_id = excluded.node_id
            """;
        var node = barrier.CreateParameter();
        node.ParameterName = "@node";
        node.Value = batch[0].Entry.NodeId ?? "unknown";
        barrier.Parameters.Add(node);
        await barrier.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    private static void AddParameter(DbBatchCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }

    /// <summary>Leaves no transaction open on a connection going back to the pool after a failed batch.</summary>
    internal static async Task RollBackQuietlyAsync(DbConnection connection)
    {
        try
        {
            await using var rollback = connection.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException)
        {
            // The connection is broken; the pool discards it.
        }
    }

    /// <summary>
    /// SQLite: the writer keeps one connection and one prepared insert for its whole life and only
    /// re-binds values per row, by position (opening, configuring and preparing per batch was a
    /// tenth of the gateway's CPU under load; binding by name, another tenth); after a failure
    /// both are rebuilt. Credits charged by the rows
    /// actually inserted are added per org at the end, in the same transaction.
    /// </summary>
    private void WriteSqliteBatch(List<PendingRow> batch)
    {
        try
        {
            if (_sqliteInsert is null)
            {
                _sqliteConnection = _database.OpenAsync().AsTask().GetAwaiter().GetResult();
                _sqliteInsert = new SqliteLedgerInsert((Microsoft.Data.Sqlite.SqliteConnection)_sqliteConnection, InsertSql);
                _sqliteRollups = new Tollgate.Analytics.SqliteRollupUpsert((Microsoft.Data.Sqlite.SqliteConnection)_sqliteConnection);
            }

            using var tx = _sqliteConnection!.BeginTransaction();
            Dictionary<string, long>? charged = null;
            var inserted = new List<LedgerEntry>(batch.Count);
            foreach (var row in batch)
            {
                if (!_sqliteInsert.Insert(row.Entry))
                {
                    continue; // already written: never counted twice
                }

                inserted.Add(row.Entry);
                if (row.Entry.CreditsPico != 0)
                {
                    charged ??= new Dictionary<string, long>(StringComparer.Ordinal);
                    charged[row.Entry.OrgId] = charged.GetValueOrDefault(row.Entry.OrgId) + row.Entry.CreditsPico;
                }
            }

            foreach (var (orgId, pico) in charged ?? [])
            {
                OrgCredits.ChargeAsync(_sqliteConnection, tx, orgId, pico).GetAwaiter().GetResult(); // SQLite runs synchronously
            }

            if (inserted.Count > 0)
            {
                _sqliteRollups!.Apply(Tollgate.Analytics.RollupBatch.Of(inserted)); // once per distinct rollup key
                if (Tollgate.Analytics.AnalyticsEpochs.LateOrgs(inserted, _time.GetUtcNow()) is { Count: > 0 } late)
                {
                    Tollgate.Analytics.AnalyticsEpochs.BumpAsync(_sqliteConnection, tx, late).GetAwaiter().GetResult(); // SQLite runs synchronously
                }
            }

            lock (_database.LedgerCommitLock)
            {
                tx.Commit();
                foreach (var entry in inserted)
                {
                    OnCommitted?.Invoke(entry);
                }
            }
        }
        catch
        {
            _sqliteInsert?.Dispose();
            _sqliteInsert = null;
            _sqliteRollups?.Dispose();
            _sqliteRollups = null;
            _sqliteConnection?.Dispose();
            _sqliteConnection = null;
            throw;
        }
    }

    /// <summary>
    /// Inserts one row inside the caller's transaction (metered events of other services, written
    /// under the member's lock); ignores a repeated (request_id, attempt). Returns whether it was new.
    /// A new row is added to the rollups in the same transaction.
    /// </summary>
    public static async Task<bool> InsertAsync(DbConnection connection, DbTransaction? tx, LedgerEntry entry)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = InsertSql;
        Bind(command.Parameters, command.CreateParameter, entry);
        if (await command.ExecuteNonQueryAsync().ConfigureAwait(false) != 1)
        {
            return false;
        }

        await Tollgate.Analytics.Rollups.AddAsync(connection, tx, [entry]).ConfigureAwait(false);
        return true;
    }

    private static string Values(string suffix) => "(" + string.Join(", ", ParameterNames.Select(n => "@" + n + suffix)) + ")";


    /// <summary>The row's values, in <see cref="ParameterNames"/> order.</summary>
    private static object?[] ValuesOf(LedgerEntry e) =>
    [
        e.Id, e.RequestId, e.Attempt, e.OrgId, e.ProjectId, e.MemberId, e.KeyId, e.Service, e.Endpoint,
        e.Model, e.Provider, e.ProviderModel, StatusName(e.Status), e.HttpStatus, e.InputTokens, e.CachedInputTokens,
        e.CacheWriteTokens, e.OutputTokens, e.ReasoningTokens, e.CostPico, e.UsageEstimated, e.Streamed, e.Cancelled,
        e.LatencyMs, e.StartedAt.ToUnixTimeMilliseconds(), e.EndedAt.ToUnixTimeMilliseconds(), e.Error, e.NodeId, e.CreditsPico, e.Credential,
        e.Units?.Characters, e.Units?.Images, e.Units?.ImageVariant, e.Units?.Pages, e.Units?.AudioSeconds, e.Units?.VideoSeconds, e.Units?.VideoVariant,
    ];

    private static void Bind(DbParameterCollection parameters, Func<DbParameter> create, LedgerEntry e, string suffix = "")
    {
        var values = ValuesOf(e);
        for (var i = 0; i < ParameterNames.Length; i++)
        {
            var p = create();
            p.ParameterName = "@" + ParameterNames[i] + suffix;
            p.Value = values[i] ?? DBNull.Value;
            parameters.Add(p);
        }
    }


    /// <summary>The stored name of a status.</summary>
    public static string StatusName(LedgerStatus status) => status switch
    {
        LedgerStatus.Ok => "ok",
        LedgerStatus.UpstreamError => "upstream_error",
        LedgerStatus.Failed => "failed",
        LedgerStatus.Cancelled => "cancelled",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing {Count} ledger rows failed")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int count);

    private sealed record PendingRow(LedgerEntry Entry, TaskCompletionSource Committed);
}
