namespace Tollgate.Budgets;

/// <summary>
/// Where a node's budget state lives and how operations on a member are made exclusive: one node
/// (<see cref="LocalBudgetPath"/>, SQLite, the state in this process) or several nodes
/// (<see cref="SharedBudgetPath"/>, PostgreSQL, under the member's advisory lock). The engine picks
/// one at construction; everything common to both (settlement, release, invalidation) stays in the engine.
/// </summary>
internal interface IBudgetPath
{
    /// <summary>Reserves, clamps or denies (see <see cref="BudgetEngine.ReserveAsync"/>).</summary>
    ValueTask<AdmissionResult> ReserveAsync(AdmissionRequest request, MemberSlot slot, CancellationToken ct);

    /// <summary>Writes a metered event's ledger row once per idempotency key (see <see cref="BudgetEngine.ChargeEventAsync"/>).</summary>
    Task<bool> ChargeEventAsync(LedgerEntry entry, MemberSlot slot, CancellationToken ct);

    /// <summary>Counts a ledger row as it commits (one node); nothing on several nodes, where the ledger tail counts it.</summary>
    void CountCommitted(LedgerEntry entry);

    /// <summary>The member's caps as enforced now; null for an unknown member.</summary>
    Task<MemberBudgetView?> ViewMemberAsync(string memberId, MemberSlot slot, CancellationToken ct);

    /// <summary>The caps of many members as enforced now (a member list's budget column); unknown members are left out.</summary>
    Task<Dictionary<string, MemberBudgetView>> ViewMembersAsync(IReadOnlyList<(string MemberId, MemberSlot Slot)> members, CancellationToken ct);

    /// <summary>A key's caps as enforced now; null when its member is unknown.</summary>
    Task<KeyBudgetView?> ViewKeyAsync(string memberId, string keyId, MemberSlot slot, CancellationToken ct);

    /// <summary>The org's billing mode and credits as stored, with what other live nodes hold on them.</summary>
    Task<StoredCredits> ReadCreditsAsync(string orgId, OrgSlot org, CancellationToken ct);
}
