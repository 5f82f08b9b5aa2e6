using System.Collections.Concurrent;

namespace Tollgate.Budgets;

/// <summary>
/// This node's side of the orgs' prepaid credits: per org, its gate, what this node's requests in
/// flight hold on the credits, and (one node) the billing mode as loaded. The credits themselves are
/// read from the database for each decision (<see cref="OrgCredits"/>): the database is their only
/// truth, so purchases, refunds and other nodes' charges need no invalidation.
/// Lock order: an org's gate is always entered after a member's gate, never before, and never held
/// while a member's gate is awaited. Byok orgs never enter the org's gate.
/// </summary>
internal sealed class OrgCreditsBook(BudgetStore store)
{
    private readonly ConcurrentDictionary<string, OrgSlot> _orgs = new(StringComparer.Ordinal);

    /// <summary>The org's slot, created on first use.</summary>
    public OrgSlot Slot(string orgId) => _orgs.GetOrAdd(orgId, static _ => new OrgSlot());

    /// <summary>Several nodes: whether the last locked admission on this node found the org in credits mode.</summary>
    public bool CreditsSeen(string orgId) => _orgs.TryGetValue(orgId, out var org) && org.CreditsSeen;

    /// <summary>Lowers the org's credits reservation by what the member's reservation just gave up (taken after the member's gate).</summary>
    public async Task ReleaseAsync(Reservation reservation, long amount)
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
    /// requests in flight on every live node hold on them (the stored part read by <paramref name="path"/>).
    /// </summary>
    public async Task<CreditsView> ViewAsync(string orgId, IBudgetPath path, CancellationToken ct)
    {
        // This node's holds first, then the database, outside the org's gate (a holder of the gate
        // never waits for a pooled connection, which admissions waiting for the gate may all hold): a
        // settlement in between is counted twice, never not at all.
        var org = Slot(orgId);
        await org.Gate.WaitAsync(ct).ConfigureAwait(false);
        var reserved = org.Reserved;
        org.Gate.Release();
        var stored = await path.ReadCreditsAsync(orgId, org, ct).ConfigureAwait(false);
        return new CreditsView(stored.BillingMode, stored.CreditedPico, stored.ChargedPico, reserved + stored.OtherNodesReservedPico);
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
    /// member's gate, with <paramref name="read"/> as the member's session read the mode and the
    /// credits under the org's lock): enters the org's gate and returns the turn, which the caller
    /// leaves by releasing <see cref="CreditsTurn.Org"/>'s gate; null (and no gate) when the org is
    /// not in credits mode.
    /// </summary>
    public async Task<CreditsTurn?> EnterAsync(CreditsRead? read, string orgId, CancellationToken ct)
    {
        if (read is not { } credits)
        {
            return null;
        }

        var org = Slot(orgId);
        await org.Gate.WaitAsync(ct).ConfigureAwait(false);
        return new CreditsTurn(org, new CapStatus("org", "credits", credits.CreditedPico, credits.ChargedPico, org.Reserved + credits.OtherHoldsPico, null));
    }

    /// <summary>One node: the org's slot when the org is in credits mode, else null.</summary>
    public async ValueTask<OrgSlot?> CreditsOrgAsync(string orgId, CancellationToken ct)
    {
        var org = Slot(orgId);
        return await IsCreditsModeAsync(org, orgId, ct).ConfigureAwait(false) ? org : null;
    }

    /// <summary>Whether the org is in credits mode, as kept on this node (SQLite: one process serves the database, and changes invalidate it).</summary>
    public async ValueTask<bool> IsCreditsModeAsync(OrgSlot org, string orgId, CancellationToken ct)
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
}

/// <summary>
/// An org's entry, for its credits: its gate (always entered after a member's gate, never before),
/// what this node's requests in flight hold on the credits, and (SQLite) the billing mode as loaded.
/// </summary>
internal sealed class OrgSlot
{
    public SemaphoreSlim Gate { get; } = new(1, 1);
    public long Reserved { get; set; }
    public CachedMode? Mode { get; set; }
    public long ModeVersion;

    /// <summary>Several nodes: whether the last locked admission found the org in credits mode.</summary>
    public volatile bool CreditsSeen;
}

/// <summary>An org's billing mode as read at invalidation count <paramref name="Version"/> (one node).</summary>
internal sealed record CachedMode(string Mode, long Version);

/// <summary>One operation's turn on an org's credits: the org's gate is held until the caller releases it.</summary>
internal sealed record CreditsTurn(OrgSlot Org, CapStatus Cap);

/// <summary>An org's credits as stored: its billing mode, credited and charged, and what other live nodes hold on them.</summary>
internal readonly record struct StoredCredits(string BillingMode, long CreditedPico, long ChargedPico, long OtherNodesReservedPico);
