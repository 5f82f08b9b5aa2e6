namespace Tollgate.Tests.Infrastructure;

/// <summary>
/// A clock for tests: wall-clock time can be set and advanced, while timers and timestamps stay real
/// so that timeouts and keepalives still fire. (The framework's testing clock is not available here.)
/// </summary>
public sealed class ShiftedTimeProvider : TimeProvider
{
    private long _offsetTicks;

    /// <summary>A clock that starts at <paramref name="now"/>.</summary>
    public ShiftedTimeProvider(DateTimeOffset now) => SetUtcNow(now);

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));

    /// <summary>Jumps to <paramref name="now"/>.</summary>
    public void SetUtcNow(DateTimeOffset now) => Interlocked.Exchange(ref _offsetTicks, (now - System.GetUtcNow()).Ticks);

    /// <summary>Moves the clock forward.</summary>
    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
}
