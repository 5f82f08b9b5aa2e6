namespace Tollgate.Gateway.Streaming;

/// <summary>
/// The client side of a server-sent-events response. It commits status 200 as late as possible (the
/// first keepalive or the first relayed event), writes whole events, and sends the <c>: ping</c>
/// comment whenever the stream has been silent for the keepalive interval — before the first event
/// too. One timer per stream drives the keepalives; every write, the timer's included, goes through
/// one gate, so a ping never lands inside an event.
/// </summary>
internal sealed class SseResponse : IAsyncDisposable
{
    private static readonly byte[] Ping = ": ping\n\n"u8.ToArray();

    private readonly HttpResponse _response;
    private readonly TimeSpan _keepAlive;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ITimer _timer;
    private long _lastWrite;
    private bool _closed;

    public SseResponse(HttpResponse response, TimeSpan keepAlive, TimeProvider time, string provider)
    {
        _response = response;
        _keepAlive = keepAlive;
        _time = time;
        Provider = provider;
        _lastWrite = time.GetTimestamp();
        _timer = time.CreateTimer(static state => ((SseResponse)state!).OnTimer(), this, keepAlive, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The provider named in <c>x-tollgate-provider</c> if the stream commits now.</summary>
    public string Provider { get; set; }

    /// <summary>True once the status and headers have gone to the client.</summary>
    public bool Committed { get; private set; }

    /// <summary>Keepalives sent.</summary>
    public int PingsSent { get; private set; }

    /// <summary>Writes whole events and flushes them, committing the stream first.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> events, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CommitLockedAsync(cancellationToken).ConfigureAwait(false);
            await _response.Body.WriteAsync(events, cancellationToken).ConfigureAwait(false);
            await _response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
            _lastWrite = _time.GetTimestamp();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Ends the response: the final events when the stream is committed, otherwise
    /// <paramref name="uncommitted"/> (status, content type and body of a plain answer, e.g. the
    /// upstream's error before any byte went out). No keepalive follows.
    /// </summary>
    public async ValueTask FinishAsync(ReadOnlyMemory<byte> events, (int Status, string ContentType, byte[] Body)? uncommitted, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _closed = true;
            if (!Committed && uncommitted is { } plain)
            {
                _response.StatusCode = plain.Status;
                _response.ContentType = plain.ContentType;
                _response.ContentLength = plain.Body.Length;
                _response.Headers["x-tollgate-provider"] = Provider;
                await _response.Body.WriteAsync(plain.Body, cancellationToken).ConfigureAwait(false);
                return;
            }

            await CommitLockedAsync(cancellationToken).ConfigureAwait(false);
            await _response.Body.WriteAsync(events, cancellationToken).ConfigureAwait(false);
            await _response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync().ConfigureAwait(false);
        await _gate.WaitAsync().ConfigureAwait(false);
        _closed = true;
        _gate.Release();
    }

    private async ValueTask CommitLockedAsync(CancellationToken cancellationToken)
    {
        if (Committed)
        {
            return;
        }

        _response.StatusCode = StatusCodes.Status200OK;
        _response.ContentType = "text/event-stream; charset=utf-8";
        _response.Headers.CacheControl = "no-cache";
        _response.Headers["x-accel-buffering"] = "no";
        _response.Headers["x-tollgate-provider"] = Provider;
        Committed = true;
        await _response.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    private void OnTimer()
    {
        var wait = _keepAlive - _time.GetElapsedTime(Volatile.Read(ref _lastWrite));
        if (wait > TimeSpan.Zero)
        {
            // Something was written since: look again when the silence would reach the interval.
            Rearm(wait);
            return;
        }

        _ = PingAsync();
    }

    private void Rearm(TimeSpan wait)
    {
        try
        {
            _timer.Change(wait, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The stream ended meanwhile.
        }
    }

    private async Task PingAsync()
    {
        // A writer holding the gate is about to end the silence itself.
        if (!_gate.Wait(0))
        {
            Rearm(_keepAlive);
            return;
        }

        try
        {
            if (_closed)
            {
                return;
            }

            await CommitLockedAsync(CancellationToken.None).ConfigureAwait(false);
            await _response.Body.WriteAsync(Ping).ConfigureAwait(false);
            await _response.Body.FlushAsync().ConfigureAwait(false);
            _lastWrite = _time.GetTimestamp();
            PingsSent++;
            Rearm(_keepAlive);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The client is gone; the relay sees it on its next write or through the request's abort token.
        }
        finally
        {
            _gate.Release();
        }
    }
}
