using System.Data.Common;
using Dapper;
using Tollgate.Hosting;
using Tollgate.Storage;

namespace Tollgate.Budgets;

/// <summary>
/// Coordination of several nodes on one PostgreSQL database. Each node keeps its caps in memory, as
/// on SQLite; what makes them agree:
/// <list type="number">
/// <item>Admission of a member runs under that member's advisory lock. Inside it the node reads the
/// member's ledger rows past the last sequence it has seen (settlements of every node), and the holds
/// of other live nodes, before it decides and writes its own hold.</item>
/// <item>Settlement writes the ledger row and lowers its hold in one transaction, under the same lock,
/// so per member the sequence order is the commit order and no spend is ever visible twice or not at all.</item>
/// <item>Nodes beat every second; holds of a node silent for <see cref="DeadAfter"/> are ignored and
/// then deleted, so a killed node's reservations are released.</item>
/// <item>Budget and role changes are polled every <see cref="PollInterval"/>, so a change made on one
/// node is enforced by the others within a second.</item>
/// </list>
/// </summary>
internal sealed partial class SharedBudgets(Database database, TimeProvider time, ILogger<SharedBudgets> logger)
{
    /// <summary>How often nodes beat and poll for configuration changes.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>A node whose last beat is older than this is dead; its holds no longer count.</summary>
    public static readonly TimeSpan DeadAfter = TimeSpan.FromSeconds(5);

    /// <summary>This process's node id.</summary>
    public string NodeId { get; } = Ids.New("node", time);

    /// <summary>True when several nodes may share the database (PostgreSQL).</summary>
    public bool Enabled => database.IsPostgres;

    /// <summary>
    /// One round trip at the start of a member operation: takes the member's lock (hold-only
    /// transaction: <c>synchronous_commit = off</c>), then reads the member's highest ledger sequence,
    /// the rows past <paramref name="afterSeq"/> in commit order, and what other live nodes hold.
    /// </summary>
    public async Task<(long MaxSeq, List<(string Id, string KeyId, string Service, long CostPico, long EndedAt, long Seq)> Tail, long OtherMember, long OtherKey)> LockAndReadAsync(
        DbConnection connection, DbTransaction tx, string memberId, long afterSeq, string keyId)
    {
        var alive = (time.GetUtcNow() - DeadAfter).ToUnixTimeMilliseconds();
        await using var grid = await connection.QueryMultipleAsync(
            """
            SET LOCAL synchronous_commit = off;
            SELECT pg_advisory_xact_lock(hashtext(@memberId))::text;
            SELECT COALESCE(MAX(seq), 0) FROM ledger WHERE member_id = @memberId;
            SELECT id, key_id, service, cost_pico, ended_at, seq FROM ledger WHERE member_id = @memberId AND seq > @afterSeq ORDER BY seq;
            SELECT h.key_id, SUM(h.amount_pico) FROM budget_holds h JOIN nodes n ON n.node_id = h.node_id
            WHERE h.member_id = @memberId AND h.node_id <> @node AND n.heartbeat_at > @alive
            GROUP BY h.key_id;
            """,
            new { memberId, afterSeq, node = NodeId, alive }, tx);
        await grid.ReadAsync<string>();
        var maxSeq = await grid.ReadSingleAsync<long>();
        var tail = (await grid.ReadAsync<(string, string, string, long, long, long)>()).AsList();
        long member = 0, key = 0;
        foreach (var (k, pico) in await grid.ReadAsync<(string KeyId, long Pico)>())
        {
            member += pico;
            key += k == keyId ? pico : 0;
        }

        return (maxSeq, tail, member, key);
    }

    /// <summary>Writes this node's hold for a reservation.</summary>
    public Task InsertHoldAsync(DbConnection connection, DbTransaction tx, string holdId, string memberId, string keyId, long amountPico) =>
        connection.ExecuteAsync(
            "INSERT INTO budget_holds (id, node_id, member_id, key_id, amount_pico, created_at) VALUES (@holdId, @node, @memberId, @keyId, @amountPico, @now)",
            new { holdId, node = NodeId, memberId, keyId, amountPico, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, tx);

    /// <summary>Deletes a hold (the request is over).</summary>
    public async Task DeleteHoldAsync(string holdId)
    {
        await using var connection = await database.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("SET LOCAL synchronous_commit = off; DELETE FROM budget_holds WHERE id = @holdId", new { holdId }, tx);
        await tx.CommitAsync();
    }

    /// <summary>Records that this node is alive.</summary>
    public async Task BeatAsync(long startedMs, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        await connection.ExecuteAsync(
            """
            INSERT INTO nodes (node_id, started_at, heartbeat_at) VALUES (@node, @started, @now)
            ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
            """,
            new { node = NodeId, started = startedMs, now = time.GetUtcNow().ToUnixTimeMilliseconds() });
    }

    /// <summary>
    /// Beats, drops the holds of dead nodes, and reports budget and role changes made since the last
    /// poll, until <paramref name="stop"/>.
    /// </summary>
    public async Task RunAsync(BudgetEngine engine, CancellationToken stop)
    {
        var since = time.GetUtcNow().ToUnixTimeMilliseconds();
        var started = since;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var now = time.GetUtcNow().ToUnixTimeMilliseconds();
                await using var connection = await database.OpenAsync(stop);
                await connection.ExecuteAsync(
                    """
                    INSERT INTO nodes (node_id, started_at, heartbeat_at) VALUES (@node, @started, @now)
                    ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
                    """,
                    new { node = NodeId, started, now });
                var dead = now - (long)DeadAfter.TotalMilliseconds;
                await connection.ExecuteAsync(
                    "DELETE FROM budget_holds WHERE node_id IN (SELECT node_id FROM nodes WHERE heartbeat_at < @dead)", new { dead });

                // Changes are read with a margin: a change committed late with an earlier timestamp is not missed.
                var from = since - 2_000;
                foreach (var (scope, scopeId, orgId) in await connection.QueryAsync<(string, string, string)>(
                    "SELECT scope_type, scope_id, org_id FROM budgets WHERE updated_at >= @from", new { from }))
                {
                    switch (scope)
                    {
                        case "default":
                            engine.InvalidateOrg(orgId);
                            break;
                        case "member":
                            engine.InvalidateMember(scopeId);
                            break;
                        default:
                            engine.InvalidateKey(scopeId);
                            break;
                    }
                }

                foreach (var memberId in await connection.QueryAsync<string>(
                    "SELECT id FROM members WHERE role_since >= @from OR removed_at >= @from", new { from }))
                {
                    engine.InvalidateMember(memberId);
                }

                since = now;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break; // shutting down
            }
            catch (Exception ex) when (ex is DbException or InvalidOperationException or TimeoutException)
            {
                LogPollFailed(logger, ex);
            }

            try
            {
                await Task.Delay(PollInterval, time, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling shared budget state failed")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}

/// <summary>Runs the node's beat and change poll on PostgreSQL.</summary>
internal sealed class SharedBudgetsService(SharedBudgets shared, BudgetEngine engine, TimeProvider time) : IHostedService
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!shared.Enabled)
        {
            return;
        }

        // Beat before serving: other nodes count this node's holds only once it is known to be alive.
        await shared.BeatAsync(time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken);
        _loop = shared.RunAsync(engine, _stop.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        try
        {
            await _loop.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The loop ends by cancellation; a stop that itself times out leaves it to finish alone.
        }

        _stop.Dispose();
    }
}
