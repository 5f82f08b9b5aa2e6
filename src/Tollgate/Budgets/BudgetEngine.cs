using System.Collections.Concurrent;
using System.Data.Common;
using Tollgate.Accounts;

namespace Tollgate.Budgets;

/// <summary>
/// The budget engine of one node: per member, the caps that apply (own, or inherited defaults for
/// developers), their counters loaded from the ledger on first use, and the reservations of
/// requests in flight. Every operation on a member runs under that member's gate, so a reservation
/// is all-or-nothing across the key's and the member's caps, and concurrent first requests of a new
/// member wait for one load instead of racing past the defaults.
/// An org in credits mode adds one cap, its credits: credited − charged, read from the database
/// for each decision (the database is their only truth, so purchases, refunds and other nodes'
/// charges need no invalidation), less what requests in flight hold on them (this node's in
/// memory, other nodes' in <c>budget_holds</c>). It is decided under the org's gate, which is never
/// waited for while a member's gate is awaited in the other order; on PostgreSQL also under the
/// org's credits lock, taken after the member's lock. Byok orgs never enter the org's gate or lock.
/// Invariant (per cap): reserved ≤ limit − used at the moment of reserving; after traffic stops,
/// reserved is 0 and used equals the ledger's sum.
/// </summary>
internal sealed class BudgetEngine(BudgetStore store, TimeProvider time, SharedBudgets shared)
{
    /// <summary>This node's id, written on its ledger rows.</summary>
    public string NodeId => shared.NodeId;

    private readonly ConcurrentDictionary<string, MemberSlot> _slots = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, OrgSlot> _orgs = new(StringComparer.Ordinal);

    // Two kinds of exclusion per member (see MemberSlot): `Sync`, a short lock around every read and
    // change of the in-memory numbers, never held across I/O; and `Gate`, an async gate around I/O
    // (loads, and on PostgreSQL the whole locked session). On one node a member whose caps are loaded
    // is admitted, settled and released under `Sync` alone: no await, no queue, no hand-off.

    /// <summary>
    /// Reserves the worst case of a request on every cap of its key and member, and on the org's
    /// credits when the org is in credits mode; clamps, or denies. Credits are checked before the
    /// key's and the member's caps (budgets.md, "Denial").
    /// </summary>
    public async ValueTask<AdmissionResult> ReserveAsync(AdmissionRequest request, CancellationToken ct)
    {
        var identity = request.Identity;
        var slot = _slots.GetOrAdd(identity.MemberId, static _ => new MemberSlot());
        if (!shared.Enabled)
        {
            if (request.ConsumesCredits && await CreditsOrgAsync(identity.OrgId, ct).ConfigureAwait(false) is { } org)
            {
                return await ReserveWithCreditsAsync(request, slot, org, ct).ConfigureAwait(false);
            }

            while (true)
            {
                lock (slot.Sync)
                {
                    if (slot.Ready(identity.KeyId) is { } state)
                    {
                        var decision = Decide(request, slot, state, state.Keys[identity.KeyId], 0, 0, null);
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
                _orgs.GetOrAdd(creditsOrgId, static _ => new OrgSlot()).CreditsSeen = session.Credits is not null;
            }

            credits = creditsOrgId is null ? null : await EnterCreditsAsync(session, creditsOrgId, ct).ConfigureAwait(false);
            AdmissionDecision decision;
            lock (slot.Sync)
            {
                decision = Decide(request, slot, state, key, session.OtherMemberHolds, session.OtherKeyHolds, credits?.Cap);
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
                    var decision = Decide(request, slot, state, state.Keys[identity.KeyId], 0, 0, creditsCap);
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

    /// <summary>
    /// Several nodes, the common case: the member's and key's caps are loaded and have room for the
    /// whole request as of the last ledger sequence seen, so one round trip (see
    /// <see cref="SharedBudgets.TryHoldAsync"/>) checks what changed since and writes the hold, without
    /// this node's gate. The amount is counted as reserved here before it is sent, so a locked
    /// admission on this node meanwhile counts it too. Null when the locked path must decide.
    /// </summary>
    private async Task<Reservation?> TryFastHoldAsync(AdmissionRequest request, MemberSlot slot, CancellationToken ct)
    {
        var identity = request.Identity;
        if (request.ConsumesCredits && _orgs.TryGetValue(identity.OrgId, out var org) && org.CreditsSeen)
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

    /// <summary>The admission decision on the numbers as they are now (call under the slot's <c>Sync</c>).</summary>
    private AdmissionDecision Decide(AdmissionRequest request, MemberSlot slot, MemberState state, KeyState key, long otherMember, long otherKey, CapStatus? credits)
    {
        var now = time.GetUtcNow();
        var keyCaps = key.Caps(now, "key", slot.ReservedFor(request.Identity.KeyId) + otherKey);
        var memberCaps = state.Caps(now, slot.ReservedMember + otherMember);
        return AdmissionDecision.Decide(request, keyCaps, memberCaps, credits);
    }

    /// <summary>
    /// Whether the org's credits (in credits mode) and the member's caps (never a key's) have room for
    /// <paramref name="amountPico"/> now: the check a service makes before it creates a time-billed
    /// resource. Null when they do.
    /// </summary>
    public async Task<BudgetDenial?> CheckMemberAsync(KeyIdentity identity, long amountPico, CancellationToken ct)
    {
        var credits = await ViewCreditsAsync(identity.OrgId, ct).ConfigureAwait(false);
        if (credits.BillingMode == OrgCredits.CreditsMode && (credits.BalancePico <= 0 || credits.AvailablePico < amountPico))
        {
            return BudgetDenial.InsufficientCredits;
        }

        var view = await ViewMemberAsync(identity.MemberId, ct).ConfigureAwait(false);
        if (view is null)
        {
            return new BudgetDenial(DenialReason.MemberUnreadable, "budget_unavailable", "The member's budget could not be read.", null, null);
        }

        CapStatus? failing = null;
        foreach (var cap in new[] { view.SpendStatus, view.PeriodStatus })
        {
            if (cap is not null && (cap.Exhausted || cap.RemainingPico < amountPico))
            {
                failing = cap;
                break;
            }
        }

        return failing is null ? null : AdmissionDecision.Deny(identity, null, failing);
    }

    /// <summary>
    /// Charges a metered event of another service to the member (never the key), once per
    /// idempotency key: a repeated or concurrent event with the same key is charged once (the
    /// ledger's unique (request_id, attempt)). Returns false for a repeat.
    /// </summary>
    public async Task<bool> ChargeEventAsync(LedgerEntry entry, CancellationToken ct)
    {
        var slot = _slots.GetOrAdd(entry.MemberId, static _ => new MemberSlot());
        entry = entry with { NodeId = shared.NodeId };
        if (!shared.Enabled)
        {
            // In credits mode the org is charged too, in the same transaction as the ledger row, under
            // the org's gate so no credits decision is between reading the credits and reserving.
            var org = await CreditsOrgAsync(entry.OrgId, ct).ConfigureAwait(false);
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

        // Several nodes: written under the member's lock (and the org's, in credits mode), so the
        // tail of every node sees it in order.
        await slot.Gate.WaitAsync(ct).ConfigureAwait(false);
        CreditsTurn? credits = null;
        try
        {
            await using var session = await OpenSessionAsync(slot, entry.MemberId, null, entry.OrgId, ct).ConfigureAwait(false);
            credits = await EnterCreditsAsync(session, entry.OrgId, ct).ConfigureAwait(false);
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

    /// <summary>
    /// One node: counts a ledger row the moment it commits (called by the ledger writer under
    /// <see cref="Database.LedgerCommitLock"/>), so a load's snapshot either holds the row or the
    /// row is counted after the load began — exactly once either way.
    /// </summary>
    public void CountCommitted(LedgerEntry entry)
    {
        if (!shared.Enabled && _slots.TryGetValue(entry.MemberId, out var slot))
        {
            lock (slot.Sync)
            {
                slot.Count(entry);
            }
        }
    }

    /// <summary>Lowers the reservation by what a settled (committed, counted) ledger row charged.</summary>
    /// <remarks>
    /// With several nodes every settlement, this node's included, reaches the counters through the
    /// ledger tail read under the member's advisory lock, so here only the reservation is lowered. No
    /// gate is needed for that: an admission holds the member's lock from reading the tail to deciding,
    /// and a ledger row of the member cannot commit meanwhile (the writer takes the same lock), so a
    /// settlement that lands during an admission belongs to a row that admission has already read.
    /// </remarks>
    public Task SettleAsync(Reservation reservation, LedgerEntry entry)
    {
        var slot = _slots.GetOrAdd(entry.MemberId, static _ => new MemberSlot());
        long released;
        lock (slot.Sync)
        {
            // The row itself was counted as it committed (one node: CountCommitted; several nodes: the tail).
            released = Math.Min(reservation.RemainingPico, entry.CostPico);
            slot.Lower(reservation, released);
        }

        return ReleaseCreditsAsync(reservation, released);
    }

    /// <summary>Releases what the reservation still holds. Idempotent.</summary>
    public async Task ReleaseAsync(Reservation reservation)
    {
        if (!_slots.TryGetValue(reservation.Request.Identity.MemberId, out var slot))
        {
            return;
        }

        long left;
        lock (slot.Sync)
        {
            left = reservation.RemainingPico;
            slot.Lower(reservation, left);
        }

        await ReleaseCreditsAsync(reservation, left).ConfigureAwait(false);
        if (reservation.HoldId is { } holdId && !reservation.HoldDropped)
        {
            reservation.HoldDropped = true;
            await shared.DeleteHoldAsync(holdId).ConfigureAwait(false);
        }
    }

    /// <summary>Lowers the org's credits reservation by what the member's reservation just gave up (taken after the member's gate).</summary>
    private async Task ReleaseCreditsAsync(Reservation reservation, long amount)
    {
        if (amount == 0 || reservation.CreditsOrgId is not { } orgId || !_orgs.TryGetValue(orgId, out var org))
        {
            return;
        }

        await org.Gate.WaitAsync().ConfigureAwait(false);
        org.Reserved -= amount;
        org.Gate.Release();
    }

    /// <summary>
    /// An org's credits as enforced now: billing mode, credited and charged (settled), and what
    /// requests in flight on every live node hold on them.
    /// </summary>
    public async Task<CreditsView> ViewCreditsAsync(string orgId, CancellationToken ct)
    {
        // This node's holds first, then the database, outside the org's gate (a holder of the gate
        // never waits for a pooled connection, which admissions waiting for the gate may all hold): a
        // settlement in between is counted twice, never not at all.
        var org = _orgs.GetOrAdd(orgId, static _ => new OrgSlot());
        await org.Gate.WaitAsync(ct).ConfigureAwait(false);
        var reserved = org.Reserved;
        org.Gate.Release();
        string mode;
        long credited, charged, others = 0;
        if (shared.Enabled)
        {
            var (stored, read) = await shared.ReadCreditsAsync(orgId, ct).ConfigureAwait(false);
            (mode, credited, charged, others) = (stored ?? "byok", read.CreditedPico, read.ChargedPico, read.OtherHoldsPico);
        }
        else
        {
            mode = await IsCreditsModeAsync(org, orgId, ct).ConfigureAwait(false) ? OrgCredits.CreditsMode : "byok";
            await using var connection = await store.OpenAsync(ct).ConfigureAwait(false);
            (credited, charged) = await OrgCredits.ReadAsync(connection, null, orgId).ConfigureAwait(false);
        }

        return new CreditsView(mode, credited, charged, reserved + others);
    }

    /// <summary>Forgets the org's billing mode as loaded on this node (it changed); the next request reads it again.</summary>
    public void InvalidateBillingMode(string orgId)
    {
        if (_orgs.TryGetValue(orgId, out var org))
        {
            Interlocked.Increment(ref org.ModeVersion);
        }
    }

    /// <summary>
    /// Several nodes: the org's credits as a cap for one operation of a member (call under the
    /// member's gate, after <see cref="OpenSessionAsync"/>, which read the mode and the credits under
    /// the org's lock): enters the org's gate and returns the turn, which the caller leaves by
    /// releasing <see cref="CreditsTurn.Org"/>'s gate; null (and no gate) when the org is not in
    /// credits mode.
    /// </summary>
    private async Task<CreditsTurn?> EnterCreditsAsync(MemberSession session, string orgId, CancellationToken ct)
    {
        if (session.Credits is not { } read)
        {
            return null;
        }

        var org = _orgs.GetOrAdd(orgId, static _ => new OrgSlot());
        await org.Gate.WaitAsync(ct).ConfigureAwait(false);
        return new CreditsTurn(org, new CapStatus("org", "credits", read.CreditedPico, read.ChargedPico, org.Reserved + read.OtherHoldsPico, null));
    }

    /// <summary>One node: the org's slot when the org is in credits mode, else null.</summary>
    private async ValueTask<OrgSlot?> CreditsOrgAsync(string orgId, CancellationToken ct)
    {
        var org = _orgs.GetOrAdd(orgId, static _ => new OrgSlot());
        return await IsCreditsModeAsync(org, orgId, ct).ConfigureAwait(false) ? org : null;
    }

    /// <summary>Whether the org is in credits mode, as kept on this node (SQLite: one process serves the database, and changes invalidate it).</summary>
    private async ValueTask<bool> IsCreditsModeAsync(OrgSlot org, string orgId, CancellationToken ct)
    {
        // The cache holds the mode with the invalidation count it was read at: a stale value is never
        // used, and a read that overlapped an invalidation is used once but not kept.
        var version = Volatile.Read(ref org.ModeVersion);
        if (org.Mode is { } cached && cached.Version == version)
        {
            return cached.Mode == OrgCredits.CreditsMode;
        }

        string mode;
        await using (var connection = await store.OpenAsync(ct).ConfigureAwait(false))
        {
            mode = await OrgCredits.BillingModeAsync(connection, orgId).ConfigureAwait(false) ?? "byok";
        }

        if (Volatile.Read(ref org.ModeVersion) == version)
        {
            org.Mode = new CachedMode(mode, version);
        }

        return mode == OrgCredits.CreditsMode;
    }

    /// <summary>The member's caps as enforced now; null for an unknown member.</summary>
    public async Task<MemberBudgetView?> ViewMemberAsync(string memberId, CancellationToken ct)
    {
        var slot = _slots.GetOrAdd(memberId, static _ => new MemberSlot());
        if (!shared.Enabled)
        {
            while (true)
            {
                lock (slot.Sync)
                {
                    if (slot.Ready(null) is { } ready)
                    {
                        return MemberView(slot, ready, 0);
                    }
                }

                if (!await LoadAsync(slot, memberId, null, ct).ConfigureAwait(false))
                {
                    return null;
                }
            }
        }

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
                return MemberView(slot, state, session.OtherMemberHolds);
            }
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    private MemberBudgetView MemberView(MemberSlot slot, MemberState state, long otherHolds)
    {
        var now = time.GetUtcNow();
        var reservedAll = slot.ReservedMember + otherHolds;
        return new MemberBudgetView(state.Own, state.Spend, state.Period, state.MaxKeys,
            state.SpendStatus(now, reservedAll), state.PeriodStatus(now, reservedAll),
            state.Lifetime.UsedPico(now), reservedAll);
    }

    /// <summary>A key's caps as enforced now.</summary>
    public async Task<KeyBudgetView?> ViewKeyAsync(string memberId, string keyId, CancellationToken ct)
    {
        var slot = _slots.GetOrAdd(memberId, static _ => new MemberSlot());
        if (!shared.Enabled)
        {
            while (true)
            {
                lock (slot.Sync)
                {
                    if (slot.Ready(keyId) is { } ready)
                    {
                        return KeyView(slot, ready, ready.Keys[keyId], keyId, 0, 0);
                    }
                }

                if (!await LoadAsync(slot, memberId, keyId, ct).ConfigureAwait(false))
                {
                    return null;
                }
            }
        }

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
                return KeyView(slot, state, key, keyId, session.OtherMemberHolds, session.OtherKeyHolds);
            }
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    private KeyBudgetView KeyView(MemberSlot slot, MemberState state, KeyState key, string keyId, long otherMember, long otherKey)
    {
        var now = time.GetUtcNow();
        var reserved = slot.ReservedFor(keyId) + otherKey;
        long? memberRemaining = null;
        foreach (var cap in state.Caps(now, slot.ReservedMember + otherMember))
        {
            memberRemaining = Math.Min(memberRemaining ?? long.MaxValue, cap.RemainingPico);
        }

        return new KeyBudgetView(key.Config, key.SpendStatus(now, reserved), key.PeriodStatus(now, reserved), key.Lifetime.UsedPico(now), memberRemaining);
    }

    /// <summary>The member's effective max active keys; null when no cap applies (not set, or unlimited).</summary>
    public async Task<int?> MaxActiveKeysAsync(string memberId, CancellationToken ct)
    {
        var view = await ViewMemberAsync(memberId, ct).ConfigureAwait(false);
        return view?.MaxKeys is { Budget.Unlimited: false } keys ? keys.Budget.Value : null;
    }

    /// <summary>Forgets a member's loaded caps; the next use reloads them from configuration and the ledger.</summary>
    public void InvalidateMember(string memberId)
    {
        if (_slots.TryGetValue(memberId, out var slot))
        {
            slot.Stale = true;
        }
    }

    /// <summary>Forgets the loaded caps of the member that owns a key (its budget changed).</summary>
    public void InvalidateKey(string keyId)
    {
        foreach (var slot in _slots.Values)
        {
            lock (slot.Sync)
            {
                if (slot.State?.Keys.ContainsKey(keyId) == true)
                {
                    slot.Stale = true;
                }
            }
        }
    }

    /// <summary>Forgets the loaded caps of every member of an org (its default developer limits changed).</summary>
    public void InvalidateOrg(string orgId)
    {
        foreach (var slot in _slots.Values)
        {
            if (slot.State?.Facts.OrgId == orgId)
            {
                slot.Stale = true;
            }
        }
    }

    /// <summary>
    /// One node: loads what <see cref="MemberSlot.Ready"/> lacks (the member's state, the key's), under
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
                    connection => LoadMemberAsync(connection, null, memberId, time.GetUtcNow()), slot.EndMemberLoad, ct).ConfigureAwait(false);
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

    private static async Task<MemberState?> LoadMemberAsync(DbConnection connection, DbTransaction? tx, string memberId, DateTimeOffset now)
    {
        var facts = await BudgetStore.FindMemberAsync(connection, tx, memberId).ConfigureAwait(false);
        if (facts is null)
        {
            return null;
        }

        var own = await BudgetStore.GetAsync(connection, tx, BudgetScope.Member, memberId).ConfigureAwait(false);
        var defaults = await BudgetStore.GetAsync(connection, tx, BudgetScope.Default, facts.OrgId).ConfigureAwait(false);
        return await MemberState.LoadAsync(connection, facts, own, defaults, now).ConfigureAwait(false);
    }

    /// <summary>
    /// Several nodes (call under the member's gate): opens a transaction holding the member's advisory
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
                session.Connection, session.Transaction, memberId, slot.LastSeq, keyId ?? "", creditsOrgId).ConfigureAwait(false);
            var (maxSeq, tail) = (read.MaxSeq, read.Tail);
            session.OtherMemberHolds = read.OtherMember;
            session.OtherKeyHolds = read.OtherKey;
            session.Credits = read.Credits;

            if (slot.State is null || slot.Stale)
            {
                lock (slot.Sync)
                {
                    slot.Stale = false;
                    slot.State = null;
                }

                // Every read of a load uses the session's connection, holding the member's lock, so a
                // load never waits for a second pooled connection while holding it.
                var loaded = await LoadMemberAsync(session.Connection, session.Transaction, memberId, time.GetUtcNow()).ConfigureAwait(false);
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

            session.State = slot.State;
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Several nodes: the key's state, loaded under the member's lock, after the tail, so its
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

    /// <summary>
    /// An org's entry, for its credits: its gate (always entered after a member's gate, never before),
    /// what this node's requests in flight hold on the credits, and (SQLite) the billing mode as loaded.
    /// </summary>
    private sealed class OrgSlot
    {
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public long Reserved { get; set; }
        public CachedMode? Mode { get; set; }
        public long ModeVersion;

        /// <summary>Several nodes: whether the last locked admission found the org in credits mode.</summary>
        public volatile bool CreditsSeen;
    }

    /// <summary>An org's billing mode as read at invalidation count <paramref name="Version"/> (one node).</summary>
    private sealed record CachedMode(string Mode, long Version);

    /// <summary>One operation's turn on an org's credits: the org's gate is held until the caller releases it.</summary>
    private sealed record CreditsTurn(OrgSlot Org, CapStatus Cap);

    /// <summary>
    /// A member's entry: its loaded state and its reservations (which outlive reloads). Everything
    /// here is read and changed under <see cref="Sync"/>; <see cref="Gate"/> serialises the I/O.
    /// </summary>
    private sealed class MemberSlot
    {
        private readonly Dictionary<string, long> _reservedByKey = new(StringComparer.Ordinal);

        /// <summary>Settlements counted while the member's state is being loaded.</summary>
        private List<LedgerEntry>? _pending;

        /// <summary>Keys being loaded, with the settlements of each that arrive meanwhile.</summary>
        private Dictionary<string, List<LedgerEntry>>? _pendingKeys;

        public Lock Sync { get; } = new();
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public MemberState? State { get; set; }
        public volatile bool Stale;
        public long ReservedMember { get; private set; }

        /// <summary>The member's last ledger sequence applied (PostgreSQL).</summary>
        public long LastSeq { get; set; }

        /// <summary>The state when it is loaded, current, and knows <paramref name="keyId"/>; else null.</summary>
        public MemberState? Ready(string? keyId) =>
            State is { } state && !Stale && (keyId is null || state.Keys.ContainsKey(keyId)) ? state : null;

        public long ReservedFor(string keyId) => _reservedByKey.GetValueOrDefault(keyId);

        public void Reserve(string keyId, long amount)
        {
            ReservedMember += amount;
            AddKeyReserved(keyId, amount);
        }

        public void Unreserve(string keyId, long amount)
        {
            ReservedMember -= amount;
            AddKeyReserved(keyId, -amount);
        }

        /// <summary>
        /// Counts ledger rows read under the member's lock past some sequence. Each such read is
        /// complete from its start (per member, sequence order is commit order), and reads may arrive
        /// out of order, so only rows past the last sequence applied are counted, in order.
        /// </summary>
        public void ApplyTail(List<(string Id, string KeyId, string Service, long CostPico, long EndedAt, long Seq)> tail)
        {
            if (State is not { } state)
            {
                return;
            }

            foreach (var (id, rowKeyId, service, cost, endedAt, seq) in tail)
            {
                if (seq <= LastSeq)
                {
                    continue;
                }

                state.Apply(id, service == "llm" ? rowKeyId : null, DateTimeOffset.FromUnixTimeMilliseconds(endedAt), cost);
                LastSeq = seq;
            }
        }

        /// <summary>Lowers what <paramref name="reservation"/> holds by <paramref name="amount"/>.</summary>
        public void Lower(Reservation reservation, long amount)
        {
            reservation.RemainingPico -= amount;
            ReservedMember -= amount;
            AddKeyReserved(reservation.Request.Identity.KeyId, -amount);
        }

        /// <summary>Counts a committed row in the loaded state, or keeps it for the load in progress.</summary>
        public void Count(LedgerEntry entry)
        {
            if (State is { } state)
            {
                state.Apply(entry);
                if (entry.Service == "llm" && _pendingKeys?.GetValueOrDefault(entry.KeyId) is { } keyPending)
                {
                    keyPending.Add(entry);
                }
            }
            else
            {
                _pending?.Add(entry);
            }
        }

        public void BeginMemberLoad()
        {
            Stale = false;
            State = null;
            _pending = [];
            _pendingKeys = null;
        }

        public void EndMemberLoad(MemberState? loaded)
        {
            if (loaded is not null)
            {
                foreach (var entry in _pending!)
                {
                    loaded.Apply(entry); // committed after the load's snapshot: not in its sums
                }
            }

            State = loaded;
            _pending = null;
        }

        public void BeginKeyLoad(string keyId) => (_pendingKeys ??= new(StringComparer.Ordinal))[keyId] = [];

        public void EndKeyLoad(MemberState state, string keyId, KeyState? key)
        {
            var pending = _pendingKeys![keyId];
            _pendingKeys.Remove(keyId);
            if (key is null)
            {
                return;
            }

            foreach (var entry in pending)
            {
                key.Apply(entry.Id, entry.EndedAt, entry.CostPico); // committed after the load's snapshot
            }

            state.Keys[keyId] = key;
        }

        private void AddKeyReserved(string keyId, long delta)
        {
            var value = _reservedByKey.GetValueOrDefault(keyId) + delta;
            if (value == 0)
            {
                _reservedByKey.Remove(keyId);
            }
            else
            {
                _reservedByKey[keyId] = value;
            }
        }
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
