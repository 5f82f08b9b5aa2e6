namespace Tollgate.Tests.Infrastructure;

/// <summary>
/// A clock for tests: wall-clock time can be set and advanced, while timers and timestamps stay real
/// so that timeouts and keepalives still fire. (The framework's testing clock is not available here.)
/// </summary>
public sealed class ShiftedTimeProvider : TimeProvider
{
    private long _offsetTicks;
    private long _frozenTicks = -1;

    /// <summary>A clock that starts at <paramref name="now"/>.</summary>
    public ShiftedTimeProvider(DateTimeOffset now) => SetUtcNow(now);

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow()
    {
        var frozen = Interlocked.Read(ref _frozenTicks);
        return frozen >= 0 ? new DateTimeOffset(frozen, TimeSpan.Zero) : System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));
    }

    /// <summary>Stops wall-clock time at <paramref name="now"/> (timers keep running on real time).</summary>
    public void Freeze(DateTimeOffset now) => Interlocked.Exchange(ref _frozenTicks, now.UtcTicks);

    /// <summary>Jumps to <paramref name="now"/>.</summary>
    public void SetUtcNow(DateTimeOffset now) => Interlocked.Exchange(ref _offsetTicks, (now - System.GetUtcNow()).Ticks);

    /// <summary>Moves the clock forward.</summary>
    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}
