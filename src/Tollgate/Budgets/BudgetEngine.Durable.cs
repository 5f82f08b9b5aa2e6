using System.Data.Common;
using Dapper;

namespace Tollgate.Budgets;

/// <summary>
/// A hold that outlives the request that made it (an asynchronous video job): stored as a
/// <c>budget_holds</c> row with no node, so it survives a kill and a restart and every node sees it.
/// </summary>
/// <param name="Id">The hold's id (the job's id).</param>
/// <param name="OrgId">The org of the key that made it.</param>
/// <param name="MemberId">The member whose caps it holds on.</param>
/// <param name="KeyId">The key whose caps it holds on.</param>
/// <param name="AmountPico">What it holds.</param>
/// <param name="CreditsOrgId">The org whose credits it holds on (credits mode at admission), else null.</param>
internal sealed record DurableHold(string Id, string OrgId, string MemberId, string KeyId, long AmountPico, string? CreditsOrgId);

/// <summary>
/// Durable holds. Where they are counted:
/// <list type="bullet">
/// <item>Several nodes (PostgreSQL): only in the database. Every reserved sum (admission, the one-round-trip
/// hold, the budget views, the org's credits) counts rows with no node whatever nodes are alive, and no
/// node keeps them in memory.</item>
/// <item>One node (SQLite): in the member's slot like any reservation (and in the org's credits
/// reservation), loaded from the table once at start (<see cref="LoadDurableHoldsAsync"/>), before any
/// request is served; the table is what a restart reads.</item>
/// </list>
/// A request's reservation becomes a durable hold in one transaction with the owner's own row
/// (<see cref="KeepAsync"/>); the hold goes in one transaction with the ledger row that settles it and the
/// owner's state change that makes that settlement happen once (<see cref="SettleDurableAsync"/>).
/// </summary>
internal sealed partial class BudgetEngine
{
    /// <summary>
    /// Turns what <paramref name="reservation"/> still holds into a durable hold named <paramref name="holdId"/>,
    /// writing the owner's row (<paramref name="recordOwner"/>) in the same transaction; the request's own
    /// hold is gone with it, so releasing the reservation afterwards releases nothing.
    /// </summary>
    public async Task<DurableHold> KeepAsync(
        Reservation reservation, string holdId, Func<DbConnection, DbTransaction, DurableHold, Task> recordOwner, CancellationToken ct)
    {
        var identity = reservation.Request.Identity;
        var slot = _slots.GetOrAdd(identity.MemberId);
        long amount;
        lock (slot.Sync)
        {
            amount = reservation.RemainingPico;
        }

        var hold = new DurableHold(holdId, identity.OrgId, identity.MemberId, identity.KeyId, amount, reservation.CreditsOrgId);
        await using (var connection = await _store.OpenAsync(ct).ConfigureAwait(false))
        {
            await using var tx = await Tollgate.Storage.Database.BeginWriteAsync(connection, ct).ConfigureAwait(false);
            if (_shared.Enabled)
            {
                // Under the locks admission takes (the member's, then the org's credits'): a locked
                // admission reads the stored holds and then this node's memory, so a commit between the
                // two, with the memory let go just after, would be counted by neither read.
                await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtext(@memberId))", new { memberId = identity.MemberId }, tx).ConfigureAwait(false);
                if (reservation.CreditsOrgId is { } creditsOrgId)
                {
                    await OrgCredits.LockAsync(connection, tx, creditsOrgId).ConfigureAwait(false);
                }
            }

            await connection.ExecuteAsync(
                """
                INSERT INTO budget_holds (id, node_id, member_id, key_id, amount_pico, created_at, org_id)
                VALUES (@Id, NULL, @MemberId, @KeyId, @AmountPico, @now, @CreditsOrgId)
                """,
                new { hold.Id, hold.MemberId, hold.KeyId, hold.AmountPico, now = _time.GetUtcNow().ToUnixTimeMilliseconds(), hold.CreditsOrgId }, tx).ConfigureAwait(false);
            if (reservation.HoldId is { } nodeHold && !reservation.HoldDropped)
            {
                await connection.ExecuteAsync("DELETE FROM budget_holds WHERE id = @nodeHold", new { nodeHold }, tx).ConfigureAwait(false);
            }

            await recordOwner(connection, tx, hold).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }

        if (_shared.Enabled)
        {
            // From the commit on, every node (this one included) counts the row; this node's memory
            // lets go of the amount just after, so for a moment it is counted twice, never zero times.
            reservation.HoldDropped = true;
            lock (slot.Sync)
            {
                slot.Lower(reservation, amount);
            }

            await _orgs.ReleaseAsync(reservation, amount).ConfigureAwait(false);
        }
        else
        {
            // One node: the slot (and the org's credits reservation) go on counting the amount, now
            // as the durable hold; the request's reservation no longer owns it.
            lock (slot.Sync)
            {
                reservation.RemainingPico -= amount;
            }
        }

        return hold;
    }

    /// <summary>
    /// Settles a durable hold once: in one transaction (under the member's lock, and the org's credits
    /// lock when the charge goes to credits, on PostgreSQL) runs <paramref name="claim"/> — the owner's
    /// state change, which only one caller wins — then writes <paramref name="entry"/> (its cost charged
    /// to the caps, and to the credits when the hold was on them) and deletes the hold. Returns false,
    /// changing nothing, when the claim was lost (another caller or node settled it).
    /// </summary>
    public async Task<bool> SettleDurableAsync(DurableHold hold, LedgerEntry entry, Func<DbConnection, DbTransaction, Task<bool>> claim, CancellationToken ct)
    {
        entry = entry with
        {
            NodeId = NodeId,
            CreditsPico = hold.CreditsOrgId is null || entry.Credential == LedgerEntry.OrgCredential ? 0 : entry.CostPico,
        };
        await using var connection = await _store.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = await Tollgate.Storage.Database.BeginWriteAsync(connection, ct).ConfigureAwait(false);
        if (_shared.Enabled)
        {
            // Per member, ledger rows commit under the member's lock: the sequence order other nodes tail.
            await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtext(@memberId))", new { memberId = entry.MemberId }, tx).ConfigureAwait(false);
            if (entry.CreditsPico != 0)
            {
                await OrgCredits.LockAsync(connection, tx, entry.OrgId).ConfigureAwait(false);
            }
        }

        if (!await claim(connection, tx).ConfigureAwait(false))
        {
            await tx.RollbackAsync(ct).ConfigureAwait(false);
            return false;
        }

        var inserted = await SpendLedger.InsertAsync(connection, tx, entry).ConfigureAwait(false);
        if (inserted && entry.CreditsPico != 0)
        {
            await OrgCredits.ChargeAsync(connection, tx, entry.OrgId, entry.CreditsPico).ConfigureAwait(false);
        }

        var released = await connection.ExecuteAsync("DELETE FROM budget_holds WHERE id = @Id", new { hold.Id }, tx).ConfigureAwait(false) == 1;
        if (_shared.Enabled)
        {
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return true;
        }

        // One node: the row is counted and the hold let go in the critical section of the commit, as
        // every ledger row is (see LocalBudgetPath), so a load's snapshot holds both or neither.
        var slot = _slots.GetOrAdd(hold.MemberId);
        lock (_store.Database.LedgerCommitLock)
        {
            tx.Commit();
            if (inserted)
            {
                _path.CountCommitted(entry);
            }

            if (released)
            {
                lock (slot.Sync)
                {
                    slot.Unreserve(hold.KeyId, hold.AmountPico);
                }
            }
        }

        if (released && hold.CreditsOrgId is { } orgId)
        {
            var org = _orgs.Slot(orgId);
            await org.Gate.WaitAsync(ct).ConfigureAwait(false);
            org.Reserved -= hold.AmountPico;
            org.Gate.Release();
        }

        return true;
    }

    /// <summary>
    /// One node: counts every stored durable hold in its member's slot and its org's credits reservation.
    /// Called once at start, before any request is served. Several nodes: nothing (the database counts them).
    /// </summary>
    public async Task LoadDurableHoldsAsync(CancellationToken ct)
    {
        if (_shared.Enabled)
        {
            return;
        }

        await using var connection = await _store.OpenAsync(ct).ConfigureAwait(false);
        var holds = await connection.QueryAsync<(string MemberId, string KeyId, long AmountPico, string? OrgId)>(
            "SELECT member_id, key_id, amount_pico, org_id FROM budget_holds WHERE node_id IS NULL").ConfigureAwait(false);
        foreach (var (memberId, keyId, amount, orgId) in holds)
        {
            var slot = _slots.GetOrAdd(memberId);
            lock (slot.Sync)
            {
                slot.Reserve(keyId, amount);
            }

            if (orgId is not null)
            {
                var org = _orgs.Slot(orgId);
                await org.Gate.WaitAsync(ct).ConfigureAwait(false);
                org.Reserved += amount;
                org.Gate.Release();
            }
        }
    }
}

/// <summary>Loads the stored durable holds into this node's counters before the server takes requests.</summary>
internal sealed class DurableHoldsLoader(BudgetEngine engine) : IHostedService
{
    /// <inheritdoc/>
    public Task StartAsync(CancellationToken cancellationToken) => engine.LoadDurableHoldsAsync(cancellationToken);

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
