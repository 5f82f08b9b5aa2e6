using System.Collections.Concurrent;
using System.Data.Common;
using Tollgate.Accounts;

namespace Tollgate.Budgets;

/// <summary>A cap as it applies to a member or key, with where it comes from.</summary>
/// <param name="Source"><c>member</c>, <c>default</c> or <c>key</c>.</param>
internal sealed record EffectiveSpend(SpendBudget Budget, string Source);

/// <summary>A period cap as it applies, with where it comes from and since when it counts.</summary>
internal sealed record EffectivePeriod(PeriodBudget Budget, string Source, DateTimeOffset? CountingFrom);

/// <summary>One cap's numbers as enforced and as shown (they are the same numbers).</summary>
/// <param name="Scope"><c>member</c> or <c>key</c>.</param>
/// <param name="Cap"><c>fixed</c>, <c>monthly</c> or <c>period</c>.</param>
public sealed record CapStatus(string Scope, string Cap, long LimitPico, long UsedPico, long ReservedPico, DateTimeOffset? ResetsAt)
{
    /// <summary><c>limit − used − reserved</c>, never negative.</summary>
    public long RemainingPico => Math.Max(0, LimitPico - UsedPico - ReservedPico);

    /// <summary>A limit of 0, or spend at or over the limit, blocks every request.</summary>
    public bool Exhausted => LimitPico == 0 || UsedPico >= LimitPico;
}

/// <summary>
/// The budget engine of one node: per member, the caps that apply (own, or inherited defaults for
/// developers), their counters loaded from the ledger on first use, and the reservations of
/// requests in flight. Every operation on a member runs under that member's gate, so a reservation
/// is all-or-nothing across the key's and the member's caps, and concurrent first requests of a new
/// member wait for one load instead of racing past the defaults.
/// An org in credits mode adds one cap, its credits: credited − charged, read from the database
/// for each decision (the database is their only truth, so purchases, refunds and other nodes'
/// charges need no invalidation), less what requests in flight hold on them (this node's in
/// memory, other nodes' in <c>budget_holds</c>). It is decided under the org's gate, always entered
/// after the member's gate and never the other way round; on PostgreSQL also under the org's
/// credits lock, taken after the member's lock. Byok orgs never enter the org's gate or lock.
/// Invariant (per cap): reserved ≤ limit − used at the moment of reserving; after traffic stops,
/// reserved is 0 and used equals the ledger's sum.
/// </summary>
internal sealed class BudgetEngine(BudgetStore store, TimeProvider time, SharedBudgets shared)
{
    /// <summary>This node's id, written on its ledger rows.</summary>
    public string NodeId => shared.NodeId;

    /// <summary>Settled rows younger than this at load time are remembered by id, so a settlement that
    /// committed before the load but is applied after it is not counted twice.</summary>
    private static readonly TimeSpan RecentWindow = TimeSpan.FromMinutes(10);

    private const long MinOutputTokens = 256;

    private readonly ConcurrentDictionary<string, MemberSlot> _slots = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, OrgSlot> _orgs = new(StringComparer.Ordinal);

    /// <summary>
    /// Reserves the worst case of a request on every cap of its key and member, and on the org's
    /// credits when the org is in credits mode; clamps, or denies. Credits are checked before the
    /// key's and the member's caps (budgets.md, "Denial").
    /// </summary>
    public async ValueTask<AdmissionResult> ReserveAsync(AdmissionRequest request, CancellationToken ct)
    {
        var identity = request.Identity;
        var slot = _slots.GetOrAdd(identity.MemberId, static _ => new MemberSlot());
        await slot.Gate.WaitAsync(ct).ConfigureAwait(false);
        CreditsTurn? credits = null;
        try
        {
            var creditsOrgId = request.ConsumesCredits ? identity.OrgId : null;
            await using var session = await OpenSessionAsync(slot, identity.MemberId, identity.KeyId, creditsOrgId, ct).ConfigureAwait(false);
            var now = time.GetUtcNow();
            var state = session.State;
            if (state is null)
            {
                return new AdmissionResult(null, new BudgetDenial(StatusCodes.Status403Forbidden, "budget_unavailable",
                    "The member's budget could not be read, so the request was not sent.", null, null));
            }

            var key = await EnsureKeyAsync(session, state, identity.KeyId, now, ct).ConfigureAwait(false);
            credits = creditsOrgId is null ? null : await EnterCreditsAsync(session, creditsOrgId, ct).ConfigureAwait(false);
            var (otherMember, otherKey) = (session.OtherMemberHolds, session.OtherKeyHolds);
            var keyCaps = key.Caps(now, "key", slot.ReservedFor(identity.KeyId) + otherKey);
            var memberCaps = state.Caps(now, slot.ReservedMember + otherMember);

            // Input at its price plus the smallest useful answer: what a clamped request must still fit.
            var inputCost = CostEstimator.WorstCasePico(request.Price, request.EstimatedInputTokens, 0);
            var perToken = Math.Max(0, CostEstimator.WorstCasePico(request.Price, request.EstimatedInputTokens, 1) - inputCost);
            var minimum = inputCost + (MinOutputTokens * perToken);
            var needed = Math.Min(minimum, request.EstimatedCostPico);

            if (credits?.Cap is { } creditsCap && (creditsCap.Exhausted || creditsCap.RemainingPico < needed))
            {
                return new AdmissionResult(null, BudgetDenial.InsufficientCredits);
            }

            CapStatus? keyFailing = keyCaps.FirstOrDefault(c => c.Exhausted || c.RemainingPico < needed);
            CapStatus? memberFailing = memberCaps.FirstOrDefault(c => c.Exhausted || c.RemainingPico < needed);
            if (keyFailing is not null || memberFailing is not null)
            {
                return new AdmissionResult(null, Deny(identity, keyFailing, memberFailing));
            }

            var room = credits?.Cap.RemainingPico ?? long.MaxValue;
            foreach (var cap in keyCaps.Concat(memberCaps))
            {
                room = Math.Min(room, cap.RemainingPico);
            }

            var amount = request.EstimatedCostPico;
            long? granted = null;
            if (room < amount && perToken > 0)
            {
                // Only a smaller answer fits: clamp the output limit to what the remaining budget pays for.
                var tokens = Math.Min((room - inputCost) / perToken, request.MaxOutputTokens);
                granted = tokens;
                amount = inputCost + (tokens * perToken);
            }

            var heldCreditsOrg = credits is null ? null : creditsOrgId;
            string? holdId = null;
            if (session.Transaction is { } holdTx)
            {
                holdId = Tollgate.Hosting.Ids.New("hold", time);
                await shared.InsertHoldAsync(session.Connection!, holdTx, holdId, identity.MemberId, identity.KeyId, amount, heldCreditsOrg).ConfigureAwait(false);
                await session.CommitAsync(ct).ConfigureAwait(false);
            }

            slot.ReservedMember += amount;
            slot.AddKeyReserved(identity.KeyId, amount);
            if (credits is not null)
            {
                credits.Org.Reserved += amount;
            }

            return new AdmissionResult(new Reservation(request, amount, granted) { HoldId = holdId, CreditsOrgId = heldCreditsOrg }, null);
        }
        finally
        {
            credits?.Org.Gate.Release();
            slot.Gate.Release();
        }
    }

    /// <summary>
    /// Whether the org's credits (in credits mode) and the member's caps (never a key's) have room for
    /// <paramref name="amountPico"/> now: the check a service makes before it creates a time-billed
    /// resource. Null when they do.
    /// </summary>
    public async Task<BudgetDenial?> CheckMemberAsync(KeyIdentity identity, long amountPico, CancellationToken ct)
    {
        var slot = _slots.GetOrAdd(identity.MemberId, static _ => new MemberSlot());
        await slot.Gate.WaitAsync(ct).ConfigureAwait(false);
        CreditsTurn? credits = null;
        try
        {
            await using var session = await OpenSessionAsync(slot, identity.MemberId, null, identity.OrgId, ct).ConfigureAwait(false);
            if (session.State is not { } state)
            {
                return new BudgetDenial(StatusCodes.Status403Forbidden, "budget_unavailable", "The member's budget could not be read.", null, null);
            }

            credits = await EnterCreditsAsync(session, identity.OrgId, ct).ConfigureAwait(false);
            if (credits?.Cap is { } creditsCap && (creditsCap.Exhausted || creditsCap.RemainingPico < amountPico))
            {
                return BudgetDenial.InsufficientCredits;
            }

            var others = session.OtherMemberHolds;
            var failing = state.Caps(time.GetUtcNow(), slot.ReservedMember + others).FirstOrDefault(c => c.Exhausted || c.RemainingPico < amountPico);
            return failing is null ? null : Deny(identity, null, failing);
        }
        finally
        {
            credits?.Org.Gate.Release();
            slot.Gate.Release();
        }
    }

    /// <summary>
    /// Charges a metered event of another service to the member (never the key), once per
    /// idempotency key: the row is written under the member's gate (and lock), so a repeated or
    /// concurrent event with the same key is charged once. Returns false for a repeat.
    /// </summary>
    public async Task<bool> ChargeEventAsync(LedgerEntry entry, CancellationToken ct)
    {
        var slot = _slots.GetOrAdd(entry.MemberId, static _ => new MemberSlot());
        await slot.Gate.WaitAsync(ct).ConfigureAwait(false);
        CreditsTurn? credits = null;
        try
        {
            await using var session = await OpenSessionAsync(slot, entry.MemberId, null, entry.OrgId, ct).ConfigureAwait(false);
            // In credits mode the org is charged too, in the same transaction as the ledger row.
            credits = await EnterCreditsAsync(session, entry.OrgId, ct, readCredits: false).ConfigureAwait(false);
            entry = entry with { NodeId = shared.NodeId, CreditsPico = credits is null ? 0 : entry.CostPico };
            bool inserted;
            if (session.Transaction is { } tx)
            {
                inserted = await SpendLedger.InsertAsync(session.Connection!, tx, entry).ConfigureAwait(false);
                if (inserted && entry.CreditsPico != 0)
                {
                    await OrgCredits.ChargeAsync(session.Connection!, tx, entry.OrgId, entry.CreditsPico).ConfigureAwait(false);
                }

                await session.CommitAsync(ct).ConfigureAwait(false);
            }
            else
            {
                await using var connection = await store.OpenAsync(ct).ConfigureAwait(false);
                await using var tx2 = await Tollgate.Storage.Database.BeginWriteAsync(connection, ct).ConfigureAwait(false);
                inserted = await SpendLedger.InsertAsync(connection, tx2, entry).ConfigureAwait(false);
                if (inserted && entry.CreditsPico != 0)
                {
                    await OrgCredits.ChargeAsync(connection, tx2, entry.OrgId, entry.CreditsPico).ConfigureAwait(false);
                }

                await tx2.CommitAsync(ct).ConfigureAwait(false);
                if (inserted && session.State is { } state)
                {
                    state.Apply(entry);
                }
            }

            return inserted;
        }
        finally
        {
            credits?.Org.Gate.Release();
            slot.Gate.Release();
        }
    }

    /// <summary>Counts a settled (committed) ledger row and lowers the reservation by what it charged.</summary>
    public async Task SettleAsync(Reservation reservation, LedgerEntry entry)
    {
        var slot = _slots.GetOrAdd(entry.MemberId, static _ => new MemberSlot());
        long released;
        await slot.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            // With several nodes every settlement, this node's included, reaches the counters through
            // the ledger tail read under the member's lock; on a single node it is counted here.
            if (!shared.Enabled && slot.State is { } state && !slot.Stale)
            {
                state.Apply(entry);
            }

            released = Math.Min(reservation.RemainingPico, entry.CostPico);
            reservation.RemainingPico -= released;
            slot.ReservedMember -= released;
            slot.AddKeyReserved(entry.KeyId, -released);
        }
        finally
        {
            slot.Gate.Release();
        }

        await ReleaseCreditsAsync(reservation, released).ConfigureAwait(false);
    }

    /// <summary>Releases what the reservation still holds. Idempotent.</summary>
    public async Task ReleaseAsync(Reservation reservation)
    {
        var memberId = reservation.Request.Identity.MemberId;
        if (!_slots.TryGetValue(memberId, out var slot))
        {
            return;
        }

        long left;
        await slot.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            left = reservation.RemainingPico;
            reservation.RemainingPico = 0;
            slot.ReservedMember -= left;
            slot.AddKeyReserved(reservation.Request.Identity.KeyId, -left);
        }
        finally
        {
            slot.Gate.Release();
        }

        await ReleaseCreditsAsync(reservation, left).ConfigureAwait(false);
        if (reservation.HoldId is { } holdId)
        {
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
            org.ModeStale = true;
        }
    }

    /// <summary>
    /// The org's credits as a cap for one operation of a member (call under the member's gate, after
    /// <see cref="OpenSessionAsync"/>): enters the org's gate and returns the turn, which the caller
    /// leaves by releasing <see cref="CreditsTurn.Org"/>'s gate; null (and no gate) when the org is not
    /// in credits mode. On PostgreSQL the mode and the credits were read under the org's lock by the
    /// session; on SQLite the mode is kept per org and the credits are read from the database here.
    /// </summary>
    private async Task<CreditsTurn?> EnterCreditsAsync(MemberSession session, string orgId, CancellationToken ct, bool readCredits = true)
    {
        var org = _orgs.GetOrAdd(orgId, static _ => new OrgSlot());
        long credited = 0, charged = 0, others = 0;
        if (shared.Enabled)
        {
            if (session.Credits is not { } read)
            {
                return null;
            }

            (credited, charged, others) = (read.CreditedPico, read.ChargedPico, read.OtherHoldsPico);
            await org.Gate.WaitAsync(ct).ConfigureAwait(false);
        }
        else
        {
            if (!await IsCreditsModeAsync(org, orgId, ct).ConfigureAwait(false))
            {
                return null;
            }

            await org.Gate.WaitAsync(ct).ConfigureAwait(false);
            if (readCredits)
            {
                try
                {
                    await using var connection = await store.OpenAsync(ct).ConfigureAwait(false);
                    (credited, charged) = await OrgCredits.ReadAsync(connection, null, orgId).ConfigureAwait(false);
                }
                catch
                {
                    org.Gate.Release();
                    throw;
                }
            }
        }

        return new CreditsTurn(org, new CapStatus("org", "credits", credited, charged, org.Reserved + others, null));
    }

    /// <summary>Whether the org is in credits mode, as kept on this node (SQLite: one process serves the database, and changes invalidate it).</summary>
    private async ValueTask<bool> IsCreditsModeAsync(OrgSlot org, string orgId, CancellationToken ct)
    {
        if (org.Mode is not { } mode || org.ModeStale)
        {
            // Cleared before the read: an invalidation during the read marks it stale again.
            org.ModeStale = false;
            await using var connection = await store.OpenAsync(ct).ConfigureAwait(false);
            mode = await OrgCredits.BillingModeAsync(connection, orgId).ConfigureAwait(false) ?? "byok";
            org.Mode = mode;
        }

        return mode == OrgCredits.CreditsMode;
    }

    /// <summary>The member's caps as enforced now; null for an unknown member.</summary>
    public async Task<MemberBudgetView?> ViewMemberAsync(string memberId, CancellationToken ct)
    {
        var slot = _slots.GetOrAdd(memberId, static _ => new MemberSlot());
        await slot.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var session = await OpenSessionAsync(slot, memberId, null, null, ct).ConfigureAwait(false);
            var now = time.GetUtcNow();
            var state = session.State;
            if (state is null)
            {
                return null;
            }

            var others = session.OtherMemberHolds;
            var reservedAll = slot.ReservedMember + others;
            return new MemberBudgetView(state.Own, state.Spend, state.Period, state.MaxKeys,
                state.SpendStatus(now, reservedAll), state.PeriodStatus(now, reservedAll),
                state.Lifetime.UsedPico(now), reservedAll);
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <summary>A key's caps as enforced now.</summary>
    public async Task<KeyBudgetView?> ViewKeyAsync(string memberId, string keyId, CancellationToken ct)
    {
        var slot = _slots.GetOrAdd(memberId, static _ => new MemberSlot());
        await slot.Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var session = await OpenSessionAsync(slot, memberId, keyId, null, ct).ConfigureAwait(false);
            var now = time.GetUtcNow();
            var state = session.State;
            if (state is null)
            {
                return null;
            }

            var key = await EnsureKeyAsync(session, state, keyId, now, ct).ConfigureAwait(false);
            var (otherMember, otherKey) = (session.OtherMemberHolds, session.OtherKeyHolds);
            var reserved = slot.ReservedFor(keyId) + otherKey;
            var memberRemaining = state.Caps(now, slot.ReservedMember + otherMember).Select(c => (long?)c.RemainingPico).Min();
            return new KeyBudgetView(key.Config, key.SpendStatus(now, reserved), key.PeriodStatus(now, reserved), key.Lifetime.UsedPico(now), memberRemaining);
        }
        finally
        {
            slot.Gate.Release();
        }
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
            if (slot.State?.Keys.ContainsKey(keyId) == true)
            {
                slot.Stale = true;
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

    private static BudgetDenial Deny(KeyIdentity identity, CapStatus? key, CapStatus? member)
    {
        string MemberMessage(CapStatus m) => m.Cap switch
        {
            "fixed" => BudgetMessages.MemberFixed,
            "monthly" => BudgetMessages.MemberMonthly,
            _ => BudgetMessages.MemberPeriod,
        };

        if (key is not null)
        {
            var message = key.Cap == "period"
                ? BudgetMessages.KeyPeriod(identity.KeyName, key.UsedPico, key.LimitPico)
                : BudgetMessages.KeyBudget(identity.KeyName, key.UsedPico, key.LimitPico);
            var detail = member is null
                ? BudgetMessages.KeyDetail(identity.KeyName)
                : $"{MemberMessage(member)} {BudgetMessages.MemberDetail(member.UsedPico, member.LimitPico)}";
            return new BudgetDenial(StatusCodes.Status403Forbidden, key.Cap == "period" ? "key_period_budget_exceeded" : "key_budget_exceeded", message, detail, key);
        }

        return new BudgetDenial(StatusCodes.Status403Forbidden, member!.Cap == "period" ? "member_period_budget_exceeded" : "member_budget_exceeded",
            MemberMessage(member), BudgetMessages.MemberDetail(member.UsedPico, member.LimitPico), member);
    }

    /// <summary>
    /// Brings the member's state up to date for one operation (call under the member's gate). With
    /// several nodes this opens a transaction holding the member's advisory lock, (re)loads the state
    /// inside it, and applies the ledger rows every node settled since the last look.
    /// </summary>
    private async Task<MemberSession> OpenSessionAsync(MemberSlot slot, string memberId, string? keyId, string? creditsOrgId, CancellationToken ct)
    {
        var session = new MemberSession();
        long maxSeq = 0;
        List<(string Id, string KeyId, string Service, long CostPico, long EndedAt, long Seq)>? tail = null;
        if (shared.Enabled)
        {
            session.Connection = await store.OpenAsync(ct).ConfigureAwait(false);
            session.Transaction = await Tollgate.Storage.Database.BeginWriteAsync(session.Connection, ct).ConfigureAwait(false);
            var read = await shared.LockAndReadAsync(
                session.Connection, session.Transaction, memberId, slot.LastSeq, keyId ?? "", creditsOrgId).ConfigureAwait(false);
            (maxSeq, tail, session.OtherMemberHolds, session.OtherKeyHolds, session.Credits) = (read.MaxSeq, read.Tail, read.OtherMember, read.OtherKey, read.Credits);
        }

        var now = time.GetUtcNow();
        if (slot.State is null || slot.Stale)
        {
            slot.Stale = false;
            slot.State = null;
            // Every read of a load uses one connection: with several nodes it is the session's, holding
            // the member's lock, so a load never waits for a second pooled connection while holding it.
            var owned = session.Connection is null ? await store.OpenAsync(ct).ConfigureAwait(false) : null;
            try
            {
                var connection = session.Connection ?? owned!;
                var tx = session.Transaction;
                var facts = await BudgetStore.FindMemberAsync(connection, tx, memberId).ConfigureAwait(false);
                if (facts is not null)
                {
                    var own = await BudgetStore.GetAsync(connection, tx, BudgetScope.Member, memberId).ConfigureAwait(false);
                    var defaults = await BudgetStore.GetAsync(connection, tx, BudgetScope.Default, facts.OrgId).ConfigureAwait(false);
                    if (tx is not null)
                    {
                        slot.LastSeq = maxSeq; // read under the lock, so the sums below hold exactly these rows
                    }

                    slot.State = await MemberState.LoadAsync(connection, facts, own, defaults, now).ConfigureAwait(false);
                }
            }
            finally
            {
                if (owned is not null)
                {
                    await owned.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
        else if (tail is not null)
        {
            foreach (var (id, rowKeyId, service, cost, endedAt, seq) in tail)
            {
                slot.State.Apply(id, service == "llm" ? rowKeyId : null, DateTimeOffset.FromUnixTimeMilliseconds(endedAt), cost);
                slot.LastSeq = seq;
            }
        }

        session.State = slot.State;
        return session;
    }

    private async Task<KeyState> EnsureKeyAsync(MemberSession session, MemberState state, string keyId, DateTimeOffset now, CancellationToken ct)
    {
        if (state.Keys.TryGetValue(keyId, out var key))
        {
            return key;
        }

        if (session.Connection is { } connection)
        {
            // Under the member's lock, after the tail: the sums hold exactly the rows the member has seen.
            var config = await BudgetStore.GetAsync(connection, session.Transaction, BudgetScope.Key, keyId).ConfigureAwait(false);
            key = await KeyState.LoadAsync(connection, keyId, config, now).ConfigureAwait(false);
        }
        else
        {
            await using var own = await store.OpenAsync(ct).ConfigureAwait(false);
            var config = await BudgetStore.GetAsync(own, null, BudgetScope.Key, keyId).ConfigureAwait(false);
            key = await KeyState.LoadAsync(own, keyId, config, now).ConfigureAwait(false);
        }

        state.Keys[keyId] = key;
        return key;
    }

    /// <summary>One operation's view of a member: the state, and on PostgreSQL the locked transaction.</summary>
    private sealed class MemberSession : IAsyncDisposable
    {
        public MemberState? State { get; set; }
        public DbConnection? Connection { get; set; }
        public DbTransaction? Transaction { get; set; }

        /// <summary>What other live nodes hold for the member (PostgreSQL), read with the lock.</summary>
        public long OtherMemberHolds { get; set; }

        /// <summary>What other live nodes hold for the session's key.</summary>
        public long OtherKeyHolds { get; set; }

        /// <summary>The org's credits read under its lock (PostgreSQL, org in credits mode).</summary>
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
        public string? Mode { get; set; }
        public volatile bool ModeStale;
    }

    /// <summary>One operation's turn on an org's credits: the org's gate is held until the caller releases it.</summary>
    private sealed record CreditsTurn(OrgSlot Org, CapStatus Cap);

    /// <summary>A member's entry: its gate, its loaded state, and its reservations (which outlive reloads).</summary>
    private sealed class MemberSlot
    {
        private readonly Dictionary<string, long> _reservedByKey = new(StringComparer.Ordinal);

        public SemaphoreSlim Gate { get; } = new(1, 1);
        public MemberState? State { get; set; }
        public volatile bool Stale;
        public long ReservedMember { get; set; }

        /// <summary>The member's last ledger sequence applied (PostgreSQL).</summary>
        public long LastSeq { get; set; }

        public long ReservedFor(string keyId) => _reservedByKey.GetValueOrDefault(keyId);

        public void AddKeyReserved(string keyId, long delta)
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

    /// <summary>Counters of one scope (a member or a key) for its spend budget and period cap.</summary>
    internal abstract class ScopeCounters
    {
        public required TotalCounter Lifetime { get; init; }
        public CapCounter? SpendCounter { get; init; }
        public CapCounter? PeriodCounter { get; init; }
        public required HashSet<string> RecentIds { get; init; }

        protected abstract SpendBudget? SpendCap { get; }
        protected abstract PeriodBudget? PeriodCap { get; }

        public void Apply(string id, DateTimeOffset endedAt, long costPico)
        {
            if (RecentIds.Remove(id))
            {
                return; // already in the sums read at load time
            }

            Lifetime.Add(endedAt, costPico);
            SpendCounter?.Add(endedAt, costPico);
            PeriodCounter?.Add(endedAt, costPico);
        }

        public CapStatus? SpendStatus(DateTimeOffset now, long reserved, string scope = "member") =>
            SpendCap is { Type: not SpendType.Unlimited } s && SpendCounter is { } c
                ? new CapStatus(scope, s.Type == SpendType.Fixed ? "fixed" : "monthly", s.LimitPico, c.UsedPico(now), reserved, c.ResetsAt(now))
                : null;

        public CapStatus? PeriodStatus(DateTimeOffset now, long reserved, string scope = "member") =>
            PeriodCap is { Unlimited: false } p && PeriodCounter is { } c
                ? new CapStatus(scope, "period", p.LimitPico, c.UsedPico(now), reserved, c.ResetsAt(now))
                : null;

        public List<CapStatus> Caps(DateTimeOffset now, string scope, long reserved)
        {
            var caps = new List<CapStatus>(2);
            if (SpendStatus(now, reserved, scope) is { } s)
            {
                caps.Add(s);
            }

            if (PeriodStatus(now, reserved, scope) is { } p)
            {
                caps.Add(p);
            }

            return caps;
        }

        protected static async Task<(TotalCounter Lifetime, CapCounter? Spend, CapCounter? Period, HashSet<string> Recent)> LoadCountersAsync(
            DbConnection connection, BudgetScope scope, string id, SpendBudget? spend, PeriodBudget? period, DateTimeOffset? periodFrom, DateTimeOffset now)
        {
            var lifetime = new TotalCounter(await BudgetStore.SumAsync(connection, scope, id, null).ConfigureAwait(false), null);
            CapCounter? spendCounter = null;
            if (spend is { Type: SpendType.Fixed })
            {
                spendCounter = new TotalCounter(await BudgetStore.SumAsync(connection, scope, id, spend.CountingFrom?.ToUnixTimeMilliseconds()).ConfigureAwait(false), spend.CountingFrom);
            }
            else if (spend is { Type: SpendType.Monthly })
            {
                var from = BudgetWindows.MonthStart(now);
                if (spend.CountingFrom is { } cf && cf > from)
                {
                    from = cf;
                }

                spendCounter = new MonthlyCounter(now, await BudgetStore.SumAsync(connection, scope, id, from.ToUnixTimeMilliseconds()).ConfigureAwait(false), spend.CountingFrom);
            }

            CapCounter? periodCounter = null;
            if (period is { Unlimited: false })
            {
                var width = (long)BudgetWindows.BucketWidth(period.Window).TotalMilliseconds;
                var since = now.ToUnixTimeMilliseconds() - (long)BudgetWindows.Duration(period.Window).TotalMilliseconds - width;
                if (periodFrom is { } pf && pf.ToUnixTimeMilliseconds() > since)
                {
                    since = pf.ToUnixTimeMilliseconds();
                }

                periodCounter = new RollingCounter(period.Window, periodFrom, await BudgetStore.BucketsAsync(connection, scope, id, width, since).ConfigureAwait(false));
            }

            var recent = scope == BudgetScope.Member
                ? await BudgetStore.RecentIdsAsync(connection, id, (now - RecentWindow).ToUnixTimeMilliseconds()).ConfigureAwait(false)
                : await RecentKeyIdsAsync(connection, id, (now - RecentWindow).ToUnixTimeMilliseconds()).ConfigureAwait(false);
            return (lifetime, spendCounter, periodCounter, recent);
        }

        private static async Task<HashSet<string>> RecentKeyIdsAsync(DbConnection connection, string keyId, long sinceMs) =>
            (await Dapper.SqlMapper.QueryAsync<string>(connection, "SELECT id FROM ledger WHERE key_id = @keyId AND service = 'llm' AND ended_at >= @sinceMs", new { keyId, sinceMs }).ConfigureAwait(false))
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>A member's effective caps and counters.</summary>
    internal sealed class MemberState : ScopeCounters
    {
        public required BudgetStore.MemberFacts Facts { get; init; }
        public required BudgetConfig Own { get; init; }
        public EffectiveSpend? Spend { get; init; }
        public EffectivePeriod? Period { get; init; }
        public (KeyCountBudget Budget, string Source)? MaxKeys { get; init; }
        public Dictionary<string, KeyState> Keys { get; } = new(StringComparer.Ordinal);

        protected override SpendBudget? SpendCap => Spend?.Budget;
        protected override PeriodBudget? PeriodCap => Period?.Budget;

        public List<CapStatus> Caps(DateTimeOffset now, long reserved) => Caps(now, "member", reserved);

        public void Apply(LedgerEntry entry) => Apply(entry.Id, entry.Service == "llm" ? entry.KeyId : null, entry.EndedAt, entry.CostPico);

        /// <summary>Counts a settled charge for the member and, when <paramref name="keyId"/> is given, for that key.</summary>
        public void Apply(string id, string? keyId, DateTimeOffset endedAt, long costPico)
        {
            Apply(id, endedAt, costPico);
            if (keyId is not null && Keys.TryGetValue(keyId, out var key))
            {
                key.Apply(id, endedAt, costPico);
            }
        }

        public static async Task<MemberState> LoadAsync(DbConnection connection, BudgetStore.MemberFacts facts, BudgetConfig own, BudgetConfig defaults, DateTimeOffset now)
        {
            // Per cap: the member's own setting, else (developers only) the org default, counting from
            // the later of when the default was set and when the member began to inherit it.
            var inherits = facts.Role == "developer";
            EffectiveSpend? spend = own.Spend is { } s ? new EffectiveSpend(s, "member")
                : inherits && defaults.Spend is { } ds ? new EffectiveSpend(ds with { CountingFrom = Later(ds.CountingFrom, facts.RoleSince) }, "default")
                : null;
            EffectivePeriod? period = own.Period is { } p ? new EffectivePeriod(p, "member", null)
                : inherits && defaults.Period is { } dp ? new EffectivePeriod(dp, "default", Later(defaults.PeriodSetAt, facts.RoleSince))
                : null;
            (KeyCountBudget, string)? keys = own.MaxActiveKeys is { } k ? (k, "member")
                : inherits && defaults.MaxActiveKeys is { } dk ? (dk, "default")
                : null;

            var (lifetime, spendCounter, periodCounter, recent) = await LoadCountersAsync(
                connection, BudgetScope.Member, facts.MemberId, spend?.Budget, period?.Budget, period?.CountingFrom, now).ConfigureAwait(false);
            return new MemberState
            {
                Facts = facts,
                Own = own,
                Spend = spend,
                Period = period,
                MaxKeys = keys,
                Lifetime = lifetime,
                SpendCounter = spendCounter,
                PeriodCounter = periodCounter,
                RecentIds = recent,
            };
        }

        private static DateTimeOffset Later(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x > b ? x : b;
    }

    /// <summary>A key's caps and counters. Keys do not inherit defaults.</summary>
    internal sealed class KeyState : ScopeCounters
    {
        public required BudgetConfig Config { get; init; }

        protected override SpendBudget? SpendCap => Config.Spend;
        protected override PeriodBudget? PeriodCap => Config.Period;

        public CapStatus? SpendStatus(DateTimeOffset now, long reserved) => SpendStatus(now, reserved, "key");

        public CapStatus? PeriodStatus(DateTimeOffset now, long reserved) => PeriodStatus(now, reserved, "key");

        public static async Task<KeyState> LoadAsync(DbConnection connection, string keyId, BudgetConfig config, DateTimeOffset now)
        {
            var (lifetime, spend, period, recent) = await LoadCountersAsync(connection, BudgetScope.Key, keyId, config.Spend, config.Period, null, now).ConfigureAwait(false);
            return new KeyState { Config = config, Lifetime = lifetime, SpendCounter = spend, PeriodCounter = period, RecentIds = recent };
        }
    }
}

/// <summary>A member's budget as configured, as effective, and as used.</summary>
internal sealed record MemberBudgetView(
    BudgetConfig Configured, EffectiveSpend? Spend, EffectivePeriod? Period, (KeyCountBudget Budget, string Source)? MaxKeys,
    CapStatus? SpendStatus, CapStatus? PeriodStatus, long LifetimePico, long ReservedPico);

/// <summary>An org's credits: billing mode, credited and charged (settled), reserved by requests in flight on every node.</summary>
internal sealed record CreditsView(string BillingMode, long CreditedPico, long ChargedPico, long ReservedPico)
{
    /// <summary>credited − charged: negative when metered usage reported after the fact went past it.</summary>
    public long BalancePico => CreditedPico - ChargedPico;

    /// <summary>What a new request may still reserve: balance − reserved, never negative.</summary>
    public long AvailablePico => Math.Max(0, BalancePico - ReservedPico);
}

/// <summary>A key's budget as configured and as used, with the owning member's smallest remaining allowance.</summary>
internal sealed record KeyBudgetView(BudgetConfig Configured, CapStatus? SpendStatus, CapStatus? PeriodStatus, long LifetimePico, long? MemberRemainingPico);
