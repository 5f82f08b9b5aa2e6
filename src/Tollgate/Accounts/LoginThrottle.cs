using System.Collections.Concurrent;

namespace Tollgate.Accounts;

/// <summary>
/// Slows password guessing: after <see cref="MaxFailures"/> failed logins for one email within
/// <see cref="Window"/>, further attempts for that email are refused (429) until the oldest of
/// those failures leaves the window. Kept in memory, per node; a successful login clears it.
/// </summary>
internal sealed class LoginThrottle(TimeProvider time)
{
    /// <summary>Failures allowed within <see cref="Window"/>.</summary>
    public const int MaxFailures = 5;

    /// <summary>The sliding window failures are counted in.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    // Past this many tracked emails, emails with no failure inside the window are dropped.
    private const int PruneAbove = 10_000;

    private readonly ConcurrentDictionary<string, Failures> _byEmail = new(StringComparer.Ordinal);

    /// <summary>How long until <paramref name="email"/> may try again; null when it may try now.</summary>
    public TimeSpan? RetryAfter(string email)
    {
        if (!_byEmail.TryGetValue(email, out var failures))
        {
            return null;
        }

        var now = time.GetUtcNow();
        lock (failures)
        {
            failures.DropBefore(now - Window);
            return failures.Times.Count >= MaxFailures ? failures.Times.Peek() + Window - now : null;
        }
    }

    /// <summary>Counts a failed login for <paramref name="email"/>.</summary>
    public void RecordFailure(string email)
    {
        var now = time.GetUtcNow();
        if (_byEmail.Count > PruneAbove)
        {
            Prune(now);
        }

        var failures = _byEmail.GetOrAdd(email, static _ => new Failures());
        lock (failures)
        {
            failures.DropBefore(now - Window);
            failures.Times.Enqueue(now);
        }
    }

    /// <summary>Forgets the failures of <paramref name="email"/> (after a successful login).</summary>
    public void Reset(string email) => _byEmail.TryRemove(email, out _);

    private void Prune(DateTimeOffset now)
    {
        foreach (var (email, failures) in _byEmail)
        {
            lock (failures)
            {
                failures.DropBefore(now - Window);
                if (failures.Times.Count == 0)
                {
                    _byEmail.TryRemove(email, out _);
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
