using System.Globalization;

namespace Tollgate.Operations;

/// <summary>
/// Graceful shutdown. On SIGTERM the host raises <see cref="IHostApplicationLifetime.ApplicationStopping"/>
/// and Kestrel stops accepting connections while the requests in flight go on. Those requests get
/// <c>Tollgate:Shutdown:DrainSeconds</c> (default 30) to finish on their own; then <see cref="Deadline"/>
/// fires, and the gateway cuts what is still running upstream the way it handles a provider that ends
/// early: each open stream gets its endpoint's terminal events, each attempt is settled, and each
/// request releases its reservation through the normal release path — holds that belong to no request
/// in flight (stored holds of long jobs) are not this class's business and are left alone.
/// <see cref="HostOptions.ShutdownTimeout"/> is the drain plus <see cref="SettleGrace"/>, so that
/// writing those last events and ledger rows is not itself cut off.
/// </summary>
internal sealed partial class ShutdownDrain : IHostedService, IDisposable
{
    /// <summary>The configuration key of the drain.</summary>
    public const string DrainSecondsKey = "Tollgate:Shutdown:DrainSeconds";

    /// <summary>Time after the drain for the cut requests to write their last events and settle.</summary>
    public static readonly TimeSpan SettleGrace = TimeSpan.FromSeconds(15);

    private readonly CancellationTokenSource _deadline;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<ShutdownDrain> _logger;
    private CancellationTokenRegistration _onStopping;

    public ShutdownDrain(IHostApplicationLifetime lifetime, TimeProvider time, DrainOptions options, ILogger<ShutdownDrain> logger)
    {
        _lifetime = lifetime;
        _logger = logger;
        Drain = options.Drain;
        _deadline = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
    }

    /// <summary>How long requests in flight may run on after shutdown begins.</summary>
    public TimeSpan Drain { get; }

    /// <summary>Fires when the drain is over: what still runs upstream is ended.</summary>
    public CancellationToken Deadline => _deadline.Token;

    /// <summary>True once the drain is over.</summary>
    public bool IsOver => _deadline.IsCancellationRequested;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _onStopping = _lifetime.ApplicationStopping.Register(() =>
        {
            LogDraining(_logger, Drain.TotalSeconds);
            _deadline.CancelAfter(Drain);
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public void Dispose()
    {
        _onStopping.Dispose();
        _deadline.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutting down: requests in flight have {DrainSeconds} s to finish before open streams are ended")]
    private static partial void LogDraining(ILogger logger, double drainSeconds);
}

/// <summary>The drain of <see cref="ShutdownDrain"/>, read from configuration.</summary>
/// <param name="Drain">How long requests in flight may run on after shutdown begins.</param>
internal sealed record DrainOptions(TimeSpan Drain)
{
    /// <summary>Reads <c>Tollgate:Shutdown:DrainSeconds</c> (default 30; 0 ends streams at once).</summary>
    public static DrainOptions FromConfiguration(IConfiguration configuration) =>
        new(TimeSpan.FromSeconds(
            double.TryParse(configuration[ShutdownDrain.DrainSecondsKey], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0
                ? Math.Min(seconds, 3600)
                : 30));
}
