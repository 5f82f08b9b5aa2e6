using System.Data.Common;

namespace Tollgate.Budgets;

/// <summary>
/// Several nodes on one PostgreSQL database (see <see cref="SharedBudgets"/>): every operation on a
/// member runs under the slot's gate and, inside one transaction, the member's advisory lock
/// (<see cref="OpenSessionAsync"/>), where the ledger rows every node settled since the last look are
/// applied and other live nodes' holds are read before deciding. The common admission with room for
/// the whole request takes one round trip instead (<see cref="TryFastHoldAsync"/>).
/// </summary>
internal sealed class SharedBudgetPath(BudgetStore store, TimeProvider time, SharedBudgets shared, OrgCreditsBook orgs) : IBudgetPath
{
    // Members whose budgets one transaction of ViewMembersAsync reads: their locks are held together
    // for its few milliseconds, so their admissions wait at most that long.
    private const int ViewsPerTransaction = 100;

    // Transactions of one ViewMembersAsync at once: enough to overlap round trips, few enough to
    // leave the connection pool to the gateway.
    private const int TransactionsAtOnce = 3;

    /// <inheritdoc/>
    public async ValueTask<AdmissionResult> ReserveAsync(AdmissionRequest request, MemberSlot slot, CancellationToken ct)
    {
        var identity = request.Identity;
        if (await TryFastHoldAsync(request, slot, ct).ConfigureAwait(false) is { } fast)
        {
            return new AdmissionResult(fast, null);
        }

        await slot.Gate.WaitAsync(ct).ConfigureAwait(false);
        CreditsTurn? credits = null;
        try
        {
            var creditsOrgId = request.ConsumesCredits ? identity.OrgId : null;
            await using var session = await OpenSessionAsync(slot, identity.MemberId, identity.KeyId, creditsOrgId, ct).ConfigureAwait(false);
            if (session.State is not { } state)
            {
                return new AdmissionResult(null, AdmissionDecision.UnreadableMember);
            }

            var key = await EnsureKeyAsync(session, slot, state, identity.KeyId, time.GetUtcNow(), ct).ConfigureAwait(false);
            if (creditsOrgId is not null)
            {
                orgs.Slot(creditsOrgId).CreditsSeen = session.Credits is not null;
            }

            credits = creditsOrgId is null ? null : await orgs.EnterAsync(session.Credits, creditsOrgId, ct).ConfigureAwait(false);
            AdmissionDecision decision;
            lock (slot.Sync)
            {
                decision = slot.Decide(request, state, key, session.OtherMemberHolds, session.OtherKeyHolds, credits?.Cap, time.GetUtcNow());
            }

            if (decision.Denial is not null)
            {
                return new AdmissionResult(null, decision.Denial);
            }

            var heldCreditsOrg = credits is null ? null : creditsOrgId;
            var holdId = Tollgate.Hosting.Ids.New("hold", time);
            await shared.InsertHoldAsync(session.Connection!, session.Transaction!, holdId, identity.MemberId, identity.KeyId, decision.AmountPico, heldCreditsOrg).ConfigureAwait(false);
            await session.CommitAsync(ct).ConfigureAwait(false);
            lock (slot.Sync)
            {
                slot.Reserve(identity.KeyId, decision.AmountPico);
            }

            if (credits is not null)
            {
                credits.Org.Reserved += decision.AmountPico; // under the org's gate
            }

            return new AdmissionResult(new Reservation(request, decision.AmountPico, decision.GrantedMaxOutputTokens) { HoldId = holdId, CreditsOrgId = heldCreditsOrg }, null);
        }
        finally
        {
            credits?.Org.Gate.Release();
            slot.Gate.Release();
        }
    }

    /// <summary>
    /// The common case: the member's and key's caps are loaded and have room for the
    /// whole request as of the last ledger sequence seen, so one round trip (see
    /// <see cref="SharedBudgets.TryHoldAsync"/>) checks what changed since and writes the hold, without
    /// this node's gate. The amount is counted as reserved here before it is sent, so a locked
    /// admission on this node meanwhile counts it too. Null when the locked path must decide.
    /// </summary>
    private async Task<Reservation?> TryFastHoldAsync(AdmissionRequest request, MemberSlot slot, CancellationToken ct)
    {
        var identity = request.Identity;
        if (request.ConsumesCredits && orgs.CreditsSeen(identity.OrgId))
        {
            return null; // the org's credits are a cap: the locked path decides
        }

        var amount = request.EstimatedCostPico;
        long afterSeq;
        var room = long.MaxValue;
        lock (slot.Sync)
        {
            if (slot.Ready(identity.KeyId) is not { } state)
            {
                return null;
            }

            var now = time.GetUtcNow();
            foreach (var cap in state.Keys[identity.KeyId].Caps(now, "key", 0).Concat(state.Caps(now, 0)))
            {
                room = Math.Min(room, cap.LimitPico - cap.UsedPico);
            }

            if (room <= 0 || room < amount)
            {
                return null; // tight, clamped or denied (a limit of 0 blocks zero-cost requests too): decided exactly on the locked path
            }

            afterSeq = slot.LastSeq;
            slot.Reserve(identity.KeyId, amount);
        }

        var holdId = Tollgate.Hosting.Ids.New("hold", time);
        var held = false;
        try
        {
            var (ok, tail) = await shared.TryHoldAsync(identity.MemberId, identity.KeyId, identity.OrgId, afterSeq, room, amount, holdId, ct).ConfigureAwait(false);
            held = ok;
            lock (slot.Sync)
            {
                slot.ApplyTail(tail);
            }
        }
        finally
        {
            if (!held)
            {
                lock (slot.Sync)
                {
                    slot.Unreserve(identity.KeyId, amount);
                }
            }
        }

        return held ? new Reservation(request, amount, null) { HoldId = holdId } : null;
    }

    /// <inheritdoc/>
    public async Task<bool> ChargeEventAsync(LedgerEntry entry, MemberSlot slot, CancellationToken ct)
    {
        // Written under the member's lock (and the org's, in credits mode), so the
        // tail of every node sees it in order.
        await slot.Gate.WaitAsync(ct).ConfigureAwait(false);
        CreditsTurn? credits = null;
        try
        {
            await using var session = await OpenSessionAsync(slot, entry.MemberId, null, entry.OrgId, ct).ConfigureAwait(false);
            credits = await orgs.EnterAsync(session.Credits, entry.OrgId, ct).ConfigureAwait(false);
            entry = entry with { CreditsPico = credits is null ? 0 : entry.CostPico };
            var inserted = await SpendLedger.InsertAsync(session.Connection!, session.Transaction, entry).ConfigureAwait(false);
            if (inserted && entry.CreditsPico != 0)
            {
                await OrgCredits.ChargeAsync(session.Connection!, session.Transaction, entry.OrgId, entry.CreditsPico).ConfigureAwait(false);
            }

            await session.CommitAsync(ct).ConfigureAwait(false);
            return inserted;
        }
        finally
        {
            credits?.Org.Gate.Release();
            slot.Gate.Release();
        }
    }

    /// <summary>Nothing: every settlement, this node's included, reaches the counters through the ledger tail read under the member's lock.</summary>
    public void CountCommitted(LedgerEntry entry)
    {
    }

    /// <inheritdoc/>
    public async Task<MemberBudgetView?> ViewMemberAsync(string memberId, MemberSlot slot, CancellationToken ct)
    {
        await slot.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var session = await OpenSessionAsync(slot, memberId, null, null, ct).ConfigureAwait(false);
            if (session.State is not { } state)
            {
                return null;
            }

            lock (slot.Sync)
            {
                return BudgetViews.Member(slot, state, session.OtherMemberHolds, time.GetUtcNow());
            }
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A few transactions for a whole member list instead of one per member: each takes the gates of
    /// up to <see cref="ViewsPerTransaction"/> members (in id order, one at a time, as no other
    /// operation holds two), then in one round trip their advisory locks (in lock key order, as every
    /// such read does, see <see cref="SharedBudgets.LockAndReadManyAsync"/>), their ledger tails and
    /// other nodes' holds; each member then catches up exactly as a single view would.
    /// </remarks>
    public async Task<Dictionary<string, MemberBudgetView>> ViewMembersAsync(IReadOnlyList<(string MemberId, MemberSlot Slot)> members, CancellationToken ct)
    {
        // Chunks hold disjoint members, so running a few at once adds no wait between them (the loads
        // after a start are what takes time: each member's sums over its whole ledger).
        var views = new System.Collections.Concurrent.ConcurrentDictionary<string, MemberBudgetView>(StringComparer.Ordinal);
        var chunks = members.OrderBy(m => m.MemberId, StringComparer.Ordinal).Chunk(ViewsPerTransaction);
        await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = TransactionsAtOnce, CancellationToken = ct }, async (chunk, token) =>
        {
            var entered = new List<MemberSlot>(chunk.Length);
            try
            {
                foreach (var (_, slot) in chunk)
                {
                    await slot.Gate.WaitAsync(token).ConfigureAwait(false);
                    entered.Add(slot);
                }

                await using var connection = await store.OpenAsync(token).ConfigureAwait(false);
                await using var tx = await Tollgate.Storage.Database.BeginWriteAsync(connection, token).ConfigureAwait(false);
                var reads = await shared.LockAndReadManyAsync(connection, tx, chunk.Select(m => (m.MemberId, TailAfter(m.Slot))).ToList()).ConfigureAwait(false);
                foreach (var (memberId, slot) in chunk)
                {
                    var (maxSeq, tail, otherHolds) = reads[memberId];
                    if (await CatchUpAsync(slot, memberId, maxSeq, tail, connection, tx).ConfigureAwait(false) is { } state)
                    {
                        lock (slot.Sync)
                        {
                            views[memberId] = BudgetViews.Member(slot, state, otherHolds, time.GetUtcNow());
                        }
                    }
                }

                await tx.CommitAsync(token).ConfigureAwait(false);
            }
            finally
            {
                foreach (var slot in entered)
                {
                    slot.Gate.Release();
                }
            }
        }).ConfigureAwait(false);
        return new Dictionary<string, MemberBudgetView>(views, StringComparer.Ordinal);
    }

    /// <inheritdoc/>
    public async Task<KeyBudgetView?> ViewKeyAsync(string memberId, string keyId, MemberSlot slot, CancellationToken ct)
    {
        await slot.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var session = await OpenSessionAsync(slot, memberId, keyId, null, ct).ConfigureAwait(false);
            if (session.State is not { } state)
            {
                return null;
            }

            var key = await EnsureKeyAsync(session, slot, state, keyId, time.GetUtcNow(), ct).ConfigureAwait(false);
            lock (slot.Sync)
            {
                return BudgetViews.Key(slot, state, key, keyId, session.OtherMemberHolds, session.OtherKeyHolds, time.GetUtcNow());
            }
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <inheritdoc/>
    public async Task<StoredCredits> ReadCreditsAsync(string orgId, OrgSlot org, CancellationToken ct)
    {
        var (stored, read) = await shared.ReadCreditsAsync(orgId, ct).ConfigureAwait(false);
        return new StoredCredits(stored ?? "byok", read.CreditedPico, read.ChargedPico, read.OtherHoldsPico);
    }

    /// <summary>
    /// Call under the member's gate: opens a transaction holding the member's advisory
    /// lock, (re)loads the state inside it, and applies the ledger rows every node settled since the
    /// last look.
    /// </summary>
    private async Task<MemberSession> OpenSessionAsync(MemberSlot slot, string memberId, string? keyId, string? creditsOrgId, CancellationToken ct)
    {
        var session = new MemberSession();
        try
        {
            session.Connection = await store.OpenAsync(ct).ConfigureAwait(false);
            session.Transaction = await Tollgate.Storage.Database.BeginWriteAsync(session.Connection, ct).ConfigureAwait(false);
            var read = await shared.LockAndReadAsync(
                session.Connection, session.Transaction, memberId, TailAfter(slot), keyId ?? "", creditsOrgId).ConfigureAwait(false);
            var (maxSeq, tail) = (read.MaxSeq, read.Tail);
            session.OtherMemberHolds = read.OtherMember;
            session.OtherKeyHolds = read.OtherKey;
            session.Credits = read.Credits;

            session.State = await CatchUpAsync(slot, memberId, maxSeq, tail, session.Connection, session.Transaction).ConfigureAwait(false);
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Call under the member's gate: the sequence past which the ledger tail is worth reading. A state
    /// not loaded or stale is loaded whole from the sums (see <see cref="CatchUpAsync"/>), so its tail
    /// would be every row the member ever settled, read for nothing; and only a call under the gate
    /// loads a state, so one not ready now is not ready when the read returns.
    /// </summary>
    private static long TailAfter(MemberSlot slot)
    {
        lock (slot.Sync)
        {
            return slot.State is null || slot.Stale ? long.MaxValue : slot.LastSeq;
        }
    }

    /// <summary>
    /// Call under the member's gate and, in <paramref name="tx"/>, the member's lock, with what was read
    /// under it: (re)loads a state not loaded or stale, else applies the rows settled since the last look.
    /// Every read of a load uses the locked transaction's connection, so a load never waits for a
    /// second pooled connection while holding the lock.
    /// </summary>
    private async Task<MemberState?> CatchUpAsync(
        MemberSlot slot, string memberId, long maxSeq, List<(string, string, string, long, long, long)> tail, DbConnection connection, DbTransaction tx)
    {
        if (slot.State is null || slot.Stale)
        {
            lock (slot.Sync)
            {
                slot.Stale = false;
                slot.State = null;
            }

            var loaded = await MemberState.FindAndLoadAsync(connection, tx, memberId, time.GetUtcNow()).ConfigureAwait(false);
            lock (slot.Sync)
            {
                slot.LastSeq = maxSeq; // read under the lock, so the sums hold exactly these rows
                slot.State = loaded;
            }
        }
        else
        {
            lock (slot.Sync)
            {
                slot.ApplyTail(tail);
            }
        }

        return slot.State;
    }

    /// <summary>The key's state, loaded under the member's lock, after the tail, so its
    /// sums hold exactly the rows the member has seen.</summary>
    private static async Task<KeyState> EnsureKeyAsync(MemberSession session, MemberSlot slot, MemberState state, string keyId, DateTimeOffset now, CancellationToken ct)
    {
        lock (slot.Sync)
        {
            if (state.Keys.TryGetValue(keyId, out var known))
            {
                return known;
            }
        }

        var config = await BudgetStore.GetAsync(session.Connection!, session.Transaction, BudgetScope.Key, keyId).ConfigureAwait(false);
        var key = await KeyState.LoadAsync(session.Connection!, keyId, config, now).ConfigureAwait(false);
        lock (slot.Sync)
        {
            state.Keys[keyId] = key;
        }

        return key;
    }

    /// <summary>One operation's view of a member on PostgreSQL: the state and the locked transaction.</summary>
    private sealed class MemberSession : IAsyncDisposable
    {
        public MemberState? State { get; set; }
        public DbConnection? Connection { get; set; }
        public DbTransaction? Transaction { get; set; }

        /// <summary>What other live nodes hold for the member, read with the lock.</summary>
        public long OtherMemberHolds { get; set; }

        /// <summary>What other live nodes hold for the session's key.</summary>
        public long OtherKeyHolds { get; set; }

        /// <summary>The org's credits read under its lock (org in credits mode).</summary>
        public CreditsRead? Credits { get; set; }

        public async Task CommitAsync(CancellationToken ct)
        {
            if (Transaction is not null)
            {
                await Transaction.CommitAsync(ct).ConfigureAwait(false);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Transaction is not null)
            {
                await Transaction.DisposeAsync().ConfigureAwait(false); // not committed: rolled back, the lock released
            }

            if (Connection is not null)
            {
                await Connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
