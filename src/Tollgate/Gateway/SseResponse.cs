namespace Tollgate.Gateway;

/// <summary>
/// The client side of a server-sent-events response: commits status 200 as late as possible (the
/// first keepalive or the first relayed event), writes events, and sends the <c>: ping</c> comment
/// whenever the stream has been silent for the keepalive interval.
/// </summary>
internal sealed class SseResponse(HttpResponse response, TimeSpan keepAlive, TimeProvider time)
{
    private static readonly byte[] Ping = ": ping\n\n"u8.ToArray();
    private long _lastWrite = time.GetTimestamp();

    /// <summary>True once the status and headers have gone to the client.</summary>
    public bool Committed { get; private set; }

    /// <summary>Sends status 200 and the event-stream headers.</summary>
    public async ValueTask CommitAsync(string provider, CancellationToken cancellationToken)
    {
        if (Committed)
        {
            return;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["x-accel-buffering"] = "no";
        response.Headers["x-tollgate-provider"] = provider;
        Committed = true;
        await response.StartAsync(cancellationToken).ConfigureAwait(false);
        _lastWrite = time.GetTimestamp();
    }

    /// <summary>Writes bytes (whole events) without flushing.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        _lastWrite = time.GetTimestamp();
    }

    /// <summary>Flushes what was written.</summary>
    public Task FlushAsync(CancellationToken cancellationToken) => response.Body.FlushAsync(cancellationToken);

    /// <summary>Sends the keepalive comment now.</summary>
    public async ValueTask PingAsync(string provider, CancellationToken cancellationToken)
    {
        await CommitAsync(provider, cancellationToken).ConfigureAwait(false);
        await WriteAsync(Ping, cancellationToken).ConfigureAwait(false);
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Awaits <paramref name="pending"/>, sending a keepalive each time the stream has been silent for
    /// the interval while it is not done.
    /// </summary>
    public async Task<T> AwaitWithKeepAliveAsync<T>(Task<T> pending, string provider, CancellationToken cancellationToken)
    {
        while (true)
        {
            var silent = time.GetElapsedTime(_lastWrite);
            var wait = keepAlive - silent;
            if (wait <= TimeSpan.Zero)
            {
                await PingAsync(provider, cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                return await pending.WaitAsync(wait, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await PingAsync(provider, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
