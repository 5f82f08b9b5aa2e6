using System.Data.Common;

namespace Tollgate.Budgets;

/// <summary>
/// One node (SQLite): this process is the only writer, so a member's caps live in its slot and every
/// ledger row is counted the moment it commits (<see cref="CountCommitted"/>). A member whose caps
/// are loaded is admitted under the slot's <c>Sync</c> alone; loads run under the slot's gate, in a
/// snapshot taken under the ledger commit lock (<see cref="ReadSnapshot"/>), so each row is counted
/// exactly once: by the load's sums or after it began.
/// </summary>
internal sealed class LocalBudgetPath(BudgetStore store, TimeProvider time, MemberSlots slots, OrgCreditsBook orgs) : IBudgetPath
{
    // Member loads of one ViewMembersAsync run at once.
    private const int LoadsAtOnce = 8;

    /// <inheritdoc/>
    public async ValueTask<AdmissionResult> ReserveAsync(AdmissionRequest request, MemberSlot slot, CancellationToken ct)
    {
        var identity = request.Identity;
        if (request.ConsumesCredits && await orgs.CreditsOrgAsync(identity.OrgId, ct).ConfigureAwait(false) is { } org)
        {
            return await ReserveWithCreditsAsync(request, slot, org, ct).ConfigureAwait(false);
        }

        while (true)
        {
            lock (slot.Sync)
            {
                if (slot.Ready(identity.KeyId) is { } state)
                {
                    var decision = slot.Decide(request, state, state.Keys[identity.KeyId], 0, 0, null, time.GetUtcNow());
                    if (decision.Denial is not null)
                    {
                        return new AdmissionResult(null, decision.Denial);
                    }

                    slot.Reserve(identity.KeyId, decision.AmountPico);
                    return new AdmissionResult(new Reservation(request, decision.AmountPico, decision.GrantedMaxOutputTokens), null);
                }
            }

            if (!await LoadAsync(slot, identity.MemberId, identity.KeyId, ct).ConfigureAwait(false))
            {
                return new AdmissionResult(null, AdmissionDecision.UnreadableMember);
            }
        }
    }

    /// <summary>
    /// One node, an org in credits mode: the member's state is made ready first (under the member's
    /// gate alone), then the decision is made under the org's gate with the credits read afresh, so
    /// the org's gate is never held while a member's gate is awaited.
    /// </summary>
    private async ValueTask<AdmissionResult> ReserveWithCreditsAsync(AdmissionRequest request, MemberSlot slot, OrgSlot org, CancellationToken ct)
    {
        var identity = request.Identity;
        while (true)
        {
            bool ready;
            lock (slot.Sync)
            {
                ready = slot.Ready(identity.KeyId) is not null;
            }

            if (!ready)
            {
                if (!await LoadAsync(slot, identity.MemberId, identity.KeyId, ct).ConfigureAwait(false))
                {
                    return new AdmissionResult(null, AdmissionDecision.UnreadableMember);
                }

                continue;
            }

            await org.Gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                long credited, charged;
                await using (var connection = await store.OpenAsync(ct).ConfigureAwait(false))
                {
                    (credited, charged) = await OrgCredits.ReadAsync(connection, null, identity.OrgId).ConfigureAwait(false);
                }

                lock (slot.Sync)
                {
                    if (slot.Ready(identity.KeyId) is not { } state)
                    {
                        continue; // invalidated meanwhile: load again, outside the org's gate
                    }

                    var creditsCap = new CapStatus("org", "credits", credited, charged, org.Reserved, null);
                    var decision = slot.Decide(request, state, state.Keys[identity.KeyId], 0, 0, creditsCap, time.GetUtcNow());
                    if (decision.Denial is not null)
                    {
                        return new AdmissionResult(null, decision.Denial);
                    }

                    slot.Reserve(identity.KeyId, decision.AmountPico);
                    org.Reserved += decision.AmountPico;
                    return new AdmissionResult(new Reservation(request, decision.AmountPico, decision.GrantedMaxOutputTokens) { CreditsOrgId = identity.OrgId }, null);
                }
            }
            finally
            {
                org.Gate.Release();
            }
        }
    }

    /// <inheritdoc/>
    public async Task<bool> ChargeEventAsync(LedgerEntry entry, MemberSlot slot, CancellationToken ct)
    {
        // In credits mode the org is charged too, in the same transaction as the ledger row, under
        // the org's gate so no credits decision is between reading the credits and reserving.
        var org = await orgs.CreditsOrgAsync(entry.OrgId, ct).ConfigureAwait(false);
        entry = entry with { CreditsPico = org is null ? 0 : entry.CostPico };
        bool inserted;
        if (org is not null)
        {
            await org.Gate.WaitAsync(ct).ConfigureAwait(false);
        }

        try
        {
            await using var connection = await store.OpenAsync(ct).ConfigureAwait(false);
            await using var tx = await Tollgate.Storage.Database.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            inserted = await SpendLedger.InsertAsync(connection, tx, entry).ConfigureAwait(false);
            if (inserted && entry.CreditsPico != 0)
            {
                await OrgCredits.ChargeAsync(connection, tx, entry.OrgId, entry.CreditsPico).ConfigureAwait(false);
            }

            lock (store.Database.LedgerCommitLock)
            {
                tx.Commit();
                if (inserted)
                {
                    lock (slot.Sync)
                    {
                        slot.Count(entry);
                    }
                }
            }
        }
        finally
        {
            org?.Gate.Release();
        }

        return inserted;
    }

    /// <summary>
    /// Counts a ledger row the moment it commits (called by the ledger writer under
    /// <see cref="Tollgate.Storage.Database.LedgerCommitLock"/>), so a load's snapshot either holds the row or the
    /// row is counted after the load began — exactly once either way.
    /// </summary>
    public void CountCommitted(LedgerEntry entry)
    {
        if (slots.Find(entry.MemberId) is { } slot)
        {
            lock (slot.Sync)
            {
                slot.Count(entry);
            }
        }
    }

    /// <inheritdoc/>
    public async Task<MemberBudgetView?> ViewMemberAsync(string memberId, MemberSlot slot, CancellationToken ct)
    {
        while (true)
        {
            lock (slot.Sync)
            {
                if (slot.Ready(null) is { } ready)
                {
                    return BudgetViews.Member(slot, ready, 0, time.GetUtcNow());
                }
            }

            if (!await LoadAsync(slot, memberId, null, ct).ConfigureAwait(false))
            {
                return null;
            }
        }
    }

    /// <inheritdoc/>
    public async Task<Dictionary<string, MemberBudgetView>> ViewMembersAsync(IReadOnlyList<(string MemberId, MemberSlot Slot)> members, CancellationToken ct)
    {
        // Loaded members answer from memory at once; the others load a few at a time, so database
        // reads overlap and the connection pool stays free for the gateway.
        var views = new System.Collections.Concurrent.ConcurrentDictionary<string, MemberBudgetView>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(members, new ParallelOptions { MaxDegreeOfParallelism = LoadsAtOnce, CancellationToken = ct }, async (member, token) =>
        {
            if (await ViewMemberAsync(member.MemberId, member.Slot, token).ConfigureAwait(false) is { } view)
            {
                views[member.MemberId] = view;
            }
        }).ConfigureAwait(false);
        return new Dictionary<string, MemberBudgetView>(views, StringComparer.Ordinal);
    }

    /// <inheritdoc/>
    public async Task<KeyBudgetView?> ViewKeyAsync(string memberId, string keyId, MemberSlot slot, CancellationToken ct)
    {
        while (true)
        {
            lock (slot.Sync)
            {
                if (slot.Ready(keyId) is { } ready)
                {
                    return BudgetViews.Key(slot, ready, ready.Keys[keyId], keyId, 0, 0, time.GetUtcNow());
                }
            }

            if (!await LoadAsync(slot, memberId, keyId, ct).ConfigureAwait(false))
            {
                return null;
            }
        }
    }

    /// <inheritdoc/>
    public async Task<StoredCredits> ReadCreditsAsync(string orgId, OrgSlot org, CancellationToken ct)
    {
        var mode = await orgs.IsCreditsModeAsync(org, orgId, ct).ConfigureAwait(false) ? OrgCredits.CreditsMode : "byok";
        await using var connection = await store.OpenAsync(ct).ConfigureAwait(false);
        var (credited, charged) = await OrgCredits.ReadAsync(connection, null, orgId).ConfigureAwait(false);
        return new StoredCredits(mode, credited, charged, 0);
    }

    /// <summary>
    /// Loads what <see cref="MemberSlot.Ready"/> lacks (the member's state, the key's), under
    /// the gate so one load runs at a time, and without <c>Sync</c> so admissions of already loaded keys
    /// go on meanwhile. Settlements that arrive during a load are kept and counted when it is published
    /// (those the load already read are recognised by id). Returns false for an unknown member.
    /// </summary>
    private async Task<bool> LoadAsync(MemberSlot slot, string memberId, string? keyId, CancellationToken ct)
    {
        await slot.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            bool loadMember;
            lock (slot.Sync)
            {
                loadMember = slot.State is null || slot.Stale;
            }

            if (loadMember)
            {
                var loaded = await LoadInSnapshotAsync(slot, slot.BeginMemberLoad,
                    connection => MemberState.FindAndLoadAsync(connection, null, memberId, time.GetUtcNow()), slot.EndMemberLoad, ct).ConfigureAwait(false);
                if (loaded is null)
                {
                    return false;
                }
            }

            if (keyId is null)
            {
                return true;
            }

            MemberState state;
            lock (slot.Sync)
            {
                state = slot.State!;
                if (state.Keys.ContainsKey(keyId))
                {
                    return true;
                }
            }

            await LoadInSnapshotAsync<KeyState>(slot, () => slot.BeginKeyLoad(keyId), async connection =>
            {
                var config = await BudgetStore.GetAsync(connection, null, BudgetScope.Key, keyId).ConfigureAwait(false);
                return await KeyState.LoadAsync(connection, keyId, config, time.GetUtcNow()).ConfigureAwait(false);
            }, key => slot.EndKeyLoad(state, keyId, key), ct).ConfigureAwait(false);
            return true;
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <summary>
    /// Reads one piece of a member's spend state in a snapshot taken under the ledger commit lock:
    /// <paramref name="begin"/> marks the load on the slot inside that critical section (rows that
    /// commit from then on are kept for it), <paramref name="end"/> publishes what was read, or
    /// abandons the load (null) when the read failed.
    /// </summary>
    private async Task<T?> LoadInSnapshotAsync<T>(
        MemberSlot slot, Action begin, Func<DbConnection, Task<T?>> read, Action<T?> end, CancellationToken ct)
        where T : class
    {
        T? loaded = null;
        var begun = false;
        try
        {
            await using var connection = await store.OpenAsync(ct).ConfigureAwait(false);
            await using var snapshot = await ReadSnapshot.BeginAsync(connection, store.Database, () =>
            {
                lock (slot.Sync)
                {
                    begin();
                    begun = true;
                }
            }, ct).ConfigureAwait(false);
            loaded = await read(connection).ConfigureAwait(false);
        }
        finally
        {
            if (begun)
            {
                lock (slot.Sync)
                {
                    end(loaded);
                }
            }
        }

        return loaded;
    }
}

/// <summary>
/// One node (SQLite): a read transaction whose snapshot is taken under the ledger commit lock, with
/// <c>onSnapshot</c> run in the same critical section — so what a load reads and what it is told of
/// later (rows counted after <c>onSnapshot</c>) split the ledger exactly. (On PostgreSQL loads run
/// under the member's advisory lock instead.)
/// </summary>
internal sealed class ReadSnapshot : IAsyncDisposable
{
    private readonly DbConnection _connection;

    private ReadSnapshot(DbConnection connection) => _connection = connection;

    public static async Task<ReadSnapshot> BeginAsync(DbConnection connection, Tollgate.Storage.Database database, Action onSnapshot, CancellationToken ct)
    {
        // A raw BEGIN: the reads below are plain commands on this connection, inside it.
        await using (var begin = connection.CreateCommand())
        {
            begin.CommandText = "BEGIN";
            await begin.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        var snapshot = new ReadSnapshot(connection);
        try
        {
            using var first = connection.CreateCommand();
            first.CommandText = "SELECT COUNT(*) FROM (SELECT 1 FROM ledger LIMIT 1)"; // the first read fixes the snapshot
            lock (database.LedgerCommitLock)
            {
                first.ExecuteScalar();
                onSnapshot();
            }
        }
        catch
        {
            await snapshot.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return snapshot;
    }

    public async ValueTask DisposeAsync()
    {
        await using var end = _connection.CreateCommand();
        end.CommandText = "COMMIT";
        await end.ExecuteNonQueryAsync().ConfigureAwait(false);
    }
}
