using System.Collections.Concurrent;

namespace Tollgate.Budgets;

/// <summary>
/// A member's entry: its loaded state and its reservations (which outlive reloads). Everything
/// here is read and changed under <see cref="Sync"/>; <see cref="Gate"/> serialises the I/O.
/// </summary>
/// <remarks>
/// Two kinds of exclusion per member: <see cref="Sync"/>, a short lock around every read and change
/// of the in-memory numbers, never held across I/O; and <see cref="Gate"/>, an async gate around I/O
/// (loads, and on PostgreSQL the whole locked session). On one node a member whose caps are loaded
/// is admitted, settled and released under <see cref="Sync"/> alone: no await, no queue, no hand-off.
/// </remarks>
internal sealed class MemberSlot
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

    /// <summary>
    /// The admission decision on the numbers as they are at <paramref name="now"/> (call under
    /// <see cref="Sync"/>): the key's and the member's caps with this node's reservations and
    /// <paramref name="otherMember"/>/<paramref name="otherKey"/> (other nodes' holds) counted.
    /// </summary>
    public AdmissionDecision Decide(AdmissionRequest request, MemberState state, KeyState key, long otherMember, long otherKey, CapStatus? credits, DateTimeOffset now)
    {
        var keyCaps = key.Caps(now, "key", ReservedFor(request.Identity.KeyId) + otherKey);
        var memberCaps = state.Caps(now, ReservedMember + otherMember);
        return AdmissionDecision.Decide(request, keyCaps, memberCaps, credits);
    }

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

/// <summary>This node's member slots, created on first use, with the invalidations that make the next use reload.</summary>
internal sealed class MemberSlots
{
    private readonly ConcurrentDictionary<string, MemberSlot> _slots = new(StringComparer.Ordinal);

    /// <summary>The member's slot, created empty (not loaded) on first use.</summary>
    public MemberSlot GetOrAdd(string memberId) => _slots.GetOrAdd(memberId, static _ => new MemberSlot());

    /// <summary>The member's slot when this node has used the member; else null.</summary>
    public MemberSlot? Find(string memberId) => _slots.TryGetValue(memberId, out var slot) ? slot : null;

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
}
