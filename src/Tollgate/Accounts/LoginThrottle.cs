using System.Collections.Concurrent;

namespace Tollgate.Accounts;

/// <summary>
/// Slows password guessing without letting a guesser lock the owner out. Failures are counted in a
/// sliding <see cref="Window"/> three ways:
/// <list type="bullet">
/// <item>per account and address: after <see cref="MaxFailures"/>, that address may not try that account;</item>
/// <item>per address across accounts: after <see cref="MaxAddressFailures"/>, that address may not try
/// any account (password spraying);</item>
/// <item>per account across addresses: after <see cref="MaxAccountFailures"/>, only addresses the
/// account has signed in from before may try it (guessing spread over many addresses).</item>
/// </list>
/// An address the account signed in from successfully is exempt from the second and third limits, so
/// someone who knows an email cannot keep its owner out from their usual address. Kept in memory,
/// per node; a successful login clears the account's failures from that address.
/// </summary>
internal sealed class LoginThrottle(TimeProvider time)
{
    /// <summary>Failures allowed within <see cref="Window"/> for one account from one address.</summary>
    public const int MaxFailures = 5;

    /// <summary>Failures allowed within <see cref="Window"/> from one address, whatever the accounts.</summary>
    public const int MaxAddressFailures = 20;

    /// <summary>Failures allowed within <see cref="Window"/> for one account, whatever the addresses.</summary>
    public const int MaxAccountFailures = 50;

    /// <summary>The sliding window failures are counted in.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    // How long a successful sign-in keeps its address trusted for that account.
    private static readonly TimeSpan KnownFor = TimeSpan.FromDays(30);

    // Past this many tracked keys, keys with no failure inside the window are dropped.
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _known = new(StringComparer.Ordinal);

    /// <summary>How long until <paramref name="email"/> may try again from <paramref name="address"/>; null when it may try now.</summary>
    public TimeSpan? RetryAfter(string email, string address = "")
    {
        var now = time.GetUtcNow();
        var wait = Wait(PairKey(email, address), MaxFailures, now);
        if (!IsKnown(email, address, now))
        {
            wait = Max(wait, Wait(AddressKey(address), MaxAddressFailures, now));
            wait = Max(wait, Wait(AccountKey(email), MaxAccountFailures, now));
        }

        return wait;
    }

    /// <summary>Counts a failed login for <paramref name="email"/> from <paramref name="address"/>.</summary>
    public void RecordFailure(string email, string address = "")
    {
        var now = time.GetUtcNow();
        if (_failures.Count > PruneAbove)
        {
            Prune(now);
        }

        Add(PairKey(email, address), now);
        Add(AddressKey(address), now);
        Add(AccountKey(email), now);
    }

    /// <summary>After a successful login: forgets the account's failures from that address and trusts the address for it.</summary>
    public void Reset(string email, string address = "")
    {
        _failures.TryRemove(PairKey(email, address), out _);
        if (_known.Count > PruneAbove)
        {
            var cutoff = time.GetUtcNow() - KnownFor;
            foreach (var (key, at) in _known)
            {
                if (at < cutoff)
                {
                    _known.TryRemove(key, out _);
                }
            }
        }

        _known[PairKey(email, address)] = time.GetUtcNow();
    }

    private static string PairKey(string email, string address) => $"p\n{email}\n{address}";

    private static string AddressKey(string address) => $"a\n{address}";

    private static string AccountKey(string email) => $"e\n{email}";

    private static TimeSpan? Max(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : (a > b ? a : b);

    private bool IsKnown(string email, string address, DateTimeOffset now) =>
        _known.TryGetValue(PairKey(email, address), out var at) && now - at < KnownFor;

    private TimeSpan? Wait(string key, int limit, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out var failures))
        {
            return null;
        }

        lock (failures)
        {
            failures.DropBefore(now - Window);
            // The oldest failure that still counts towards the limit leaves the window first.
            return failures.Times.Count >= limit ? failures.Times.ElementAt(failures.Times.Count - limit) + Window - now : null;
        }
    }

    private void Add(string key, DateTimeOffset now)
    {
        var failures = _failures.GetOrAdd(key, static _ => new Failures());
        lock (failures)
        {
            failures.DropBefore(now - Window);
            failures.Times.Enqueue(now);
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, failures) in _failures)
        {
            lock (failures)
            {
                failures.DropBefore(now - Window);
                if (failures.Times.Count == 0)
                {
                    _failures.TryRemove(key, out _);
                }
            }
        }
    }

    private sealed class Failures
    {
        public Queue<DateTimeOffset> Times { get; } = new();

        public void DropBefore(DateTimeOffset cutoff)
        {
            while (Times.Count > 0 && Times.Peek() <= cutoff)
            {
                Times.Dequeue();
            }
        }
    }
}
