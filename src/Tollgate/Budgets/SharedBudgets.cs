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
/// of other live nodes, before it decides and writes its own hold. The common case (room for the
/// whole request) does this in one round trip, see <see cref="TryHoldAsync"/>.</item>
/// <item>Settlement writes the ledger row and lowers its hold in one transaction, under the same lock,
/// so per member the sequence order is the commit order and no spend is ever visible twice or not at all.</item>
/// <item>Nodes beat every <see cref="PollInterval"/>; holds of a node silent for <see cref="DeadAfter"/> are ignored and
/// then deleted, so a killed node's reservations are released.</item>
/// <item>Budget and role changes are polled every <see cref="PollInterval"/>, so a change made on one
/// node is enforced by the others within a second.</item>
/// <item>A hold with no node (an asynchronous video job's, see <see cref="BudgetEngine.KeepAsync"/>) is
/// counted by every node in every reserved sum, whatever nodes are alive, until the job settles; no
/// node keeps it in memory, so none counts it twice.</item>
/// <item>An org in credits mode is a cap of its own: its admission also takes the org's credits lock
/// (after the member's), reads <c>org_credits</c> and the org's holds of other live nodes, and writes
/// its hold with the org's id. The billing mode and the credits are read afresh under the locks, so a
/// purchase or a change of mode made on one node holds on every node at once.</item>
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
    /// With <paramref name="creditsOrgId"/>, and only when that org is in credits mode, it also takes
    /// the org's credits lock (after the member's) and reads the org's credits and what other live
    /// nodes hold on them; byok orgs take no org lock.
    /// </summary>
    public async Task<SessionRead> LockAndReadAsync(
        DbConnection connection, DbTransaction tx, string memberId, long afterSeq, string keyId, string? creditsOrgId)
    {
        var alive = (time.GetUtcNow() - DeadAfter).ToUnixTimeMilliseconds();
        const string memberSql = """
            SET LOCAL synchronous_commit = off;
            SELECT pg_advisory_xact_lock(hashtext(@memberId))::text;
            SELECT COALESCE(MAX(seq), 0) FROM ledger WHERE member_id = @memberId;
            SELECT id, key_id, service, cost_pico, ended_at, seq FROM ledger WHERE member_id = @memberId AND seq > @afterSeq ORDER BY seq;
            SELECT h.key_id, SUM(h.amount_pico) FROM budget_holds h LEFT JOIN nodes n ON n.node_id = h.node_id
            WHERE h.member_id = @memberId AND (h.node_id IS NULL OR (h.node_id <> @node AND n.heartbeat_at > @alive))
            GROUP BY h.key_id;
            """;
        // The mode decides the lock in the same statement; the credits are read by the next one, so
        // after the lock is held. Both must say credits for the org to be treated as in credits mode.
        const string orgSql = $"""
            SELECT o.billing_mode, CASE WHEN o.billing_mode = 'credits' THEN pg_advisory_xact_lock({OrgCredits.LockSpace}, hashtext(o.id))::text END
            FROM orgs o WHERE o.id = @orgId;
            SELECT COALESCE(c.credited_pico, 0), COALESCE(c.charged_pico, 0),
                (SELECT COALESCE(SUM(h.amount_pico), 0)::bigint FROM budget_holds h LEFT JOIN nodes n ON n.node_id = h.node_id
                 WHERE h.org_id = o.id AND (h.node_id IS NULL OR (h.node_id <> @node AND n.heartbeat_at > @alive)))
            FROM orgs o LEFT JOIN org_credits c ON c.org_id = o.id
            WHERE o.id = @orgId AND o.billing_mode = 'credits';
            """;
        await using var grid = await connection.QueryMultipleAsync(
            creditsOrgId is null ? memberSql : memberSql + "\n" + orgSql,
            new { memberId, afterSeq, node = NodeId, alive, orgId = creditsOrgId }, tx);
        await grid.ReadAsync<string>();
        var maxSeq = await grid.ReadSingleAsync<long>();
        var tail = (await grid.ReadAsync<(string, string, string, long, long, long)>()).AsList();
        long member = 0, key = 0;
        foreach (var (k, pico) in await grid.ReadAsync<(string KeyId, long Pico)>())
        {
            member += pico;
            key += k == keyId ? pico : 0;
        }

        CreditsRead? credits = null;
        if (creditsOrgId is not null)
        {
            var mode = (await grid.ReadAsync<(string Mode, string? Locked)>()).Select(r => r.Mode).FirstOrDefault();
            var row = (await grid.ReadAsync<(long Credited, long Charged, long Others)>()).Select(r => ((long, long, long)?)r).FirstOrDefault();
            if (mode == OrgCredits.CreditsMode && row is (var credited, var charged, var others))
            {
                credits = new CreditsRead(credited, charged, others);
            }
        }

        return new SessionRead(maxSeq, tail, member, key, credits);
    }

    /// <summary>
    /// <see cref="LockAndReadAsync"/> for many members in one round trip (no key, no credits): takes
    /// their locks in ascending lock key order, so two such reads on any nodes never wait on each other
    /// in a cycle (and a member operation holds one member's lock only); then per member its highest
    /// ledger sequence, its rows past the given sequence in commit order, and what other live nodes hold.
    /// </summary>
    public async Task<Dictionary<string, (long MaxSeq, List<(string Id, string KeyId, string Service, long CostPico, long EndedAt, long Seq)> Tail, long OtherHolds)>> LockAndReadManyAsync(
        DbConnection connection, DbTransaction tx, IReadOnlyList<(string MemberId, long AfterSeq)> members)
    {
        var alive = (time.GetUtcNow() - DeadAfter).ToUnixTimeMilliseconds();

        // The sort runs before the volatile lock calls of the select list are evaluated, so the locks
        // are taken in key order (a key two members share is taken once). Each member's tail is its
        // own (member_id, seq) index range, whatever the planner thinks of the ledger's size.
        // JIT off: the planner's guess of a tail (a third of each member's rows) costs these short
        // statements past jit_above_cost, and compiling them took longer than running them.
        const string sql = """
            SET LOCAL synchronous_commit = off;
            SET LOCAL jit = off;
            SELECT pg_advisory_xact_lock(d.h)::text FROM (SELECT DISTINCT hashtext(m) AS h FROM unnest(@ids) AS m) d ORDER BY d.h;
            SELECT m, (SELECT COALESCE(MAX(l.seq), 0) FROM ledger l WHERE l.member_id = m) FROM unnest(@ids) AS m;
            SELECT t.m, l.id, l.key_id, l.service, l.cost_pico, l.ended_at, l.seq
            FROM unnest(@ids, @afters) AS t (m, after_seq)
            CROSS JOIN LATERAL (SELECT id, key_id, service, cost_pico, ended_at, seq FROM ledger
                                WHERE member_id = t.m AND seq > t.after_seq ORDER BY seq) l;
            SELECT h.member_id, SUM(h.amount_pico) FROM budget_holds h LEFT JOIN nodes n ON n.node_id = h.node_id
            WHERE h.member_id = ANY(@ids) AND (h.node_id IS NULL OR (h.node_id <> @node AND n.heartbeat_at > @alive))
            GROUP BY h.member_id;
            """;
        await using var grid = await connection.QueryMultipleAsync(
            sql, new { ids = members.Select(m => m.MemberId).ToArray(), afters = members.Select(m => m.AfterSeq).ToArray(), node = NodeId, alive }, tx);
        await grid.ReadAsync<string>();
        var reads = new Dictionary<string, (long, List<(string, string, string, long, long, long)>, long)>(StringComparer.Ordinal);
        foreach (var (memberId, maxSeq) in await grid.ReadAsync<(string, long)>())
        {
            reads[memberId] = (maxSeq, [], 0);
        }

        foreach (var (memberId, id, keyId, service, cost, endedAt, seq) in await grid.ReadAsync<(string, string, string, string, long, long, long)>())
        {
            reads[memberId].Item2.Add((id, keyId, service, cost, endedAt, seq));
        }

        foreach (var (memberId, pico) in await grid.ReadAsync<(string, long)>())
        {
            reads[memberId] = reads[memberId] with { Item3 = pico };
        }

        return reads;
    }

    /// <summary>
    /// The one-round-trip admission of the common case: in one transaction sent as one message, takes
    /// the member's lock, writes the hold only if <paramref name="roomPico"/> (the smallest room over
    /// the caps as of ledger sequence <paramref name="afterSeq"/>, reservations not counted) less every
    /// row settled since and every live hold of the member (this node's included) still leaves
    /// <paramref name="amountPico"/>, and reads the rows settled since. Subtracting the member's whole
    /// tail and all its holds from every cap (a key's too) over-counts, never under-counts: a request
    /// refused here is decided again exactly on the locked path. Orgs in credits mode always take that
    /// path. The lock is held only while the server runs the statements, never across a round trip.
    /// </summary>
    public async Task<(bool Held, List<(string Id, string KeyId, string Service, long CostPico, long EndedAt, long Seq)> Tail)> TryHoldAsync(
        string memberId, string keyId, string orgId, long afterSeq, long roomPico, long amountPico, string holdId, CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var alive = now - (long)DeadAfter.TotalMilliseconds;
        await using var connection = await database.OpenAsync(ct);
        try
        {
            await using var grid = await connection.QueryMultipleAsync(
                """
                BEGIN;
                SET LOCAL synchronous_commit = off;
                SELECT pg_advisory_xact_lock(hashtext(@memberId))::text;
                INSERT INTO budget_holds (id, node_id, member_id, key_id, amount_pico, created_at)
                SELECT @holdId, @node, @memberId, @keyId, @amountPico, @now
                WHERE NOT EXISTS (SELECT 1 FROM orgs WHERE id = @orgId AND billing_mode = 'credits')
                  AND @roomPico
                      - (SELECT COALESCE(SUM(cost_pico), 0) FROM ledger WHERE member_id = @memberId AND seq > @afterSeq)
                      - (SELECT COALESCE(SUM(h.amount_pico), 0) FROM budget_holds h LEFT JOIN nodes n ON n.node_id = h.node_id
                         WHERE h.member_id = @memberId AND (h.node_id IS NULL OR n.heartbeat_at > @alive))
                      >= @amountPico
                RETURNING id;
                SELECT id, key_id, service, cost_pico, ended_at, seq FROM ledger WHERE member_id = @memberId AND seq > @afterSeq ORDER BY seq;
                COMMIT;
                """,
                new { memberId, keyId, orgId, afterSeq, roomPico = Math.Min(roomPico, MaxRoom), amountPico, holdId, node = NodeId, now, alive });
            await grid.ReadAsync<string>();
            var held = (await grid.ReadAsync<string>()).Any();
            var tail = (await grid.ReadAsync<(string, string, string, long, long, long)>()).AsList();
            return (held, tail);
        }
        catch
        {
            // Whatever failed, the connection goes back to the pool outside any transaction.
            await SpendLedger.RollBackQuietlyAsync(connection);
            throw;
        }
    }

    /// <summary>Room passed to the database is capped here, far above any limit (10^18), so the sums cannot overflow.</summary>
    private const long MaxRoom = 4_000_000_000_000_000_000;

    /// <summary>Writes this node's hold for a reservation; with <paramref name="creditsOrgId"/> it also holds on that org's credits.</summary>
    public Task InsertHoldAsync(DbConnection connection, DbTransaction tx, string holdId, string memberId, string keyId, long amountPico, string? creditsOrgId) =>
        connection.ExecuteAsync(
            "INSERT INTO budget_holds (id, node_id, member_id, key_id, amount_pico, created_at, org_id) VALUES (@holdId, @node, @memberId, @keyId, @amountPico, @now, @creditsOrgId)",
            new { holdId, node = NodeId, memberId, keyId, amountPico, now = time.GetUtcNow().ToUnixTimeMilliseconds(), creditsOrgId }, tx);

    /// <summary>
    /// An org's billing mode and credits, with what other live nodes hold on them, read in one
    /// statement (one snapshot) without the lock: for showing, not for deciding.
    /// </summary>
    public async Task<(string? Mode, CreditsRead Credits)> ReadCreditsAsync(string orgId, CancellationToken ct)
    {
        var alive = (time.GetUtcNow() - DeadAfter).ToUnixTimeMilliseconds();
        await using var connection = await database.OpenAsync(ct);
        var (mode, credited, charged, others) = await connection.QuerySingleAsync<(string?, long, long, long)>(
            """
            SELECT (SELECT billing_mode FROM orgs WHERE id = @orgId),
                   COALESCE((SELECT credited_pico FROM org_credits WHERE org_id = @orgId), 0),
                   COALESCE((SELECT charged_pico FROM org_credits WHERE org_id = @orgId), 0),
                   (SELECT COALESCE(SUM(h.amount_pico), 0)::bigint FROM budget_holds h LEFT JOIN nodes n ON n.node_id = h.node_id
                    WHERE h.org_id = @orgId AND (h.node_id IS NULL OR (h.node_id <> @node AND n.heartbeat_at > @alive)))
            """,
            new { orgId, node = NodeId, alive });
        return (mode, new CreditsRead(credited, charged, others));
    }

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

/// <summary>What a member operation reads under the member's lock (and, for an org in credits mode, the org's).</summary>
/// <param name="MaxSeq">The member's highest ledger sequence.</param>
/// <param name="Tail">The member's ledger rows past the sequence last seen, in commit order.</param>
/// <param name="OtherMember">What other live nodes hold for the member.</param>
/// <param name="OtherKey">What other live nodes hold for the operation's key.</param>
/// <param name="Credits">The org's credits, read under its lock; null when the org is not in credits mode (or was not asked for).</param>
internal sealed record SessionRead(
    long MaxSeq,
    List<(string Id, string KeyId, string Service, long CostPico, long EndedAt, long Seq)> Tail,
    long OtherMember,
    long OtherKey,
    CreditsRead? Credits);

/// <summary>An org's credits as read from the database, with what other live nodes hold on them.</summary>
internal readonly record struct CreditsRead(long CreditedPico, long ChargedPico, long OtherHoldsPico);

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
