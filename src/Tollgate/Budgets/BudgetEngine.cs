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
/// <remarks>
/// The engine is the front: where the state lives and how a member's operations are made exclusive
/// is the path picked once here, <see cref="LocalBudgetPath"/> on one node (SQLite) or
/// <see cref="SharedBudgetPath"/> on several (PostgreSQL). The decision itself is
/// <see cref="AdmissionDecision"/>; per-member state is in <see cref="MemberSlot"/>, the org's
/// credits in <see cref="OrgCreditsBook"/>. Settlement and release are the same on both paths and stay here.
/// </remarks>
internal sealed partial class BudgetEngine
{
    private readonly BudgetStore _store;
    private readonly TimeProvider _time;
    private readonly SharedBudgets _shared;
    private readonly MemberSlots _slots = new();
    private readonly OrgCreditsBook _orgs;
    private readonly IBudgetPath _path;

    public BudgetEngine(BudgetStore store, TimeProvider time, SharedBudgets shared)
    {
        _store = store;
        _time = time;
        _shared = shared;
        _orgs = new OrgCreditsBook(store);
        _path = shared.Enabled
            ? new SharedBudgetPath(store, time, shared, _orgs)
            : new LocalBudgetPath(store, time, _slots, _orgs);
    }

    /// <summary>This node's id, written on its ledger rows.</summary>
    public string NodeId => _shared.NodeId;

    /// <summary>
    /// Reserves the worst case of a request on every cap of its key and member, and on the org's
    /// credits when the org is in credits mode; clamps, or denies. Credits are checked before the
    /// key's and the member's caps (budgets.md, "Denial").
    /// </summary>
    public ValueTask<AdmissionResult> ReserveAsync(AdmissionRequest request, CancellationToken ct) =>
        _path.ReserveAsync(request, _slots.GetOrAdd(request.Identity.MemberId), ct);

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
    public Task<bool> ChargeEventAsync(LedgerEntry entry, CancellationToken ct)
    {
        var slot = _slots.GetOrAdd(entry.MemberId);
        return _path.ChargeEventAsync(entry with { NodeId = _shared.NodeId }, slot, ct);
    }

    /// <summary>
    /// One node: counts a ledger row the moment it commits (called by the ledger writer under
    /// <see cref="Tollgate.Storage.Database.LedgerCommitLock"/>), so a load's snapshot either holds the row or the
    /// row is counted after the load began — exactly once either way. Several nodes: nothing (the ledger tail counts it).
    /// </summary>
    public void CountCommitted(LedgerEntry entry) => _path.CountCommitted(entry);

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
        var slot = _slots.GetOrAdd(entry.MemberId);
        long released;
        lock (slot.Sync)
        {
            // The row itself was counted as it committed (one node: CountCommitted; several nodes: the tail).
            released = Math.Min(reservation.RemainingPico, entry.CostPico);
            slot.Lower(reservation, released);
        }

        return _orgs.ReleaseAsync(reservation, released);
    }

    /// <summary>Releases what the reservation still holds. Idempotent.</summary>
    public async Task ReleaseAsync(Reservation reservation)
    {
        if (_slots.Find(reservation.Request.Identity.MemberId) is not { } slot)
        {
            return;
        }

        long left;
        lock (slot.Sync)
        {
            left = reservation.RemainingPico;
            slot.Lower(reservation, left);
        }

        await _orgs.ReleaseAsync(reservation, left).ConfigureAwait(false);
        if (reservation.HoldId is { } holdId && !reservation.HoldDropped)
        {
            reservation.HoldDropped = true;
            await _shared.DeleteHoldAsync(holdId).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// An org's credits as enforced now: billing mode, credited and charged (settled), and what
    /// requests in flight on every live node hold on them.
    /// </summary>
    public Task<CreditsView> ViewCreditsAsync(string orgId, CancellationToken ct) => _orgs.ViewAsync(orgId, _path, ct);

    /// <summary>Forgets the org's billing mode as loaded on this node (it changed); the next request reads it again.</summary>
    public void InvalidateBillingMode(string orgId) => _orgs.InvalidateBillingMode(orgId);

    /// <summary>The member's caps as enforced now; null for an unknown member.</summary>
    public Task<MemberBudgetView?> ViewMemberAsync(string memberId, CancellationToken ct) =>
        _path.ViewMemberAsync(memberId, _slots.GetOrAdd(memberId), ct);

    /// <summary>The caps of many members as enforced now, each as <see cref="ViewMemberAsync"/> gives it; unknown members are left out.</summary>
    public Task<Dictionary<string, MemberBudgetView>> ViewMembersAsync(IEnumerable<string> memberIds, CancellationToken ct) =>
        _path.ViewMembersAsync(memberIds.Distinct(StringComparer.Ordinal).Select(id => (id, _slots.GetOrAdd(id))).ToList(), ct);

    /// <summary>A key's caps as enforced now.</summary>
    public Task<KeyBudgetView?> ViewKeyAsync(string memberId, string keyId, CancellationToken ct) =>
        _path.ViewKeyAsync(memberId, keyId, _slots.GetOrAdd(memberId), ct);

    /// <summary>The member's effective max active keys; null when no cap applies (not set, or unlimited).</summary>
    public async Task<int?> MaxActiveKeysAsync(string memberId, CancellationToken ct)
    {
        var view = await ViewMemberAsync(memberId, ct).ConfigureAwait(false);
        return view?.MaxKeys is { Budget.Unlimited: false } keys ? keys.Budget.Value : null;
    }

    /// <summary>Forgets a member's loaded caps; the next use reloads them from configuration and the ledger.</summary>
    public void InvalidateMember(string memberId) => _slots.InvalidateMember(memberId);

    /// <summary>Forgets the loaded caps of the member that owns a key (its budget changed).</summary>
    public void InvalidateKey(string keyId) => _slots.InvalidateKey(keyId);

    /// <summary>Forgets the loaded caps of every member of an org (its default developer limits changed).</summary>
    public void InvalidateOrg(string orgId) => _slots.InvalidateOrg(orgId);
}
