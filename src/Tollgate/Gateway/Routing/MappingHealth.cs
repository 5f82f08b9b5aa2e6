using System.Collections.Concurrent;

namespace Tollgate.Gateway.Routing;

/// <summary>
/// Recent error rates of provider mappings on this node, for ordering candidates. Each mapping keeps
/// time-decayed counts of attempts and failures (half-life <see cref="HalfLife"/>): what happened a
/// minute ago weighs half as much as what happens now, so a provider that stops failing recovers by
/// itself. A mapping that failed <see cref="TrippedAfter"/> times in a row is <em>tripped</em>: it goes
/// after every healthy mapping until it succeeds again, or until <see cref="RetryAfter"/> has passed,
/// when it takes its usual place once more (the next request probes it). Time is the injected
/// <see cref="TimeProvider"/>'s. Per node by design: each node sees its own traffic to a provider.
/// </summary>
public sealed class MappingHealth(TimeProvider time)
{
    /// <summary>Time for the weight of an outcome to halve.</summary>
    public static readonly TimeSpan HalfLife = TimeSpan.FromSeconds(60);

    /// <summary>Consecutive failures after which a mapping is tried last.</summary>
    public const int TrippedAfter = 3;

    /// <summary>How long a tripped mapping stays last without a success before it is probed again.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Stats> _stats = new(StringComparer.Ordinal);

    /// <summary>The key of a mapping: provider and the provider's model id.</summary>
    public static string Key(string provider, string providerModelId) => provider + "/" + providerModelId;

    /// <summary>Records one attempt's outcome: <paramref name="failed"/> for a 5xx, 429, timeout or connection failure.</summary>
    public void Record(string key, bool failed)
    {
        var stats = _stats.GetOrAdd(key, static _ => new Stats());
        var now = time.GetUtcNow();
        lock (stats)
        {
            stats.DecayTo(now);
            stats.Attempts += 1;
            if (failed)
            {
                stats.Failures += 1;
                stats.Consecutive++;
                stats.LastFailure = now;
            }
            else
            {
                stats.Consecutive = 0;
            }
        }
    }

    /// <summary>
    /// The mapping's recent error rate in [0, 1): decayed failures over decayed attempts plus one, so
    /// a mapping with little recent evidence counts as healthy rather than as its last outcome.
    /// </summary>
    public double ErrorRate(string key)
    {
        if (!_stats.TryGetValue(key, out var stats))
        {
            return 0;
        }

        lock (stats)
        {
            stats.DecayTo(time.GetUtcNow());
            return stats.Failures / (stats.Attempts + 1);
        }
    }

    /// <summary>True when the mapping failed <see cref="TrippedAfter"/> times in a row within the last <see cref="RetryAfter"/>.</summary>
    public bool IsTripped(string key)
    {
        if (!_stats.TryGetValue(key, out var stats))
        {
            return false;
        }

        lock (stats)
        {
            return stats.Consecutive >= TrippedAfter && time.GetUtcNow() - stats.LastFailure < RetryAfter;
        }
    }

    private sealed class Stats
    {
        public double Attempts;
        public double Failures;
        public int Consecutive;
        public DateTimeOffset LastFailure;
        private DateTimeOffset _at;

        /// <summary>Ages the counts to <paramref name="now"/> (weights halve every <see cref="HalfLife"/>).</summary>
        public void DecayTo(DateTimeOffset now)
        {
            var elapsed = (now - _at).TotalSeconds;
            if (_at != default && elapsed > 0)
            {
                var factor = Math.Pow(0.5, elapsed / HalfLife.TotalSeconds);
                Attempts *= factor;
                Failures *= factor;
            }

            if (now > _at)
            {
                _at = now;
            }
        }
    }
}
