namespace Tollgate.Gateway.Streaming;

/// <summary>
/// Cuts an upstream stream into whole events in the provider's framing: server-sent events for most
/// providers, binary event-stream messages for others. The pipeline reads through this seam only, so a
/// new framing adds a reader, not a branch in the relay loop.
/// </summary>
internal interface IStreamFrameReader : IDisposable
{
    /// <summary>Reads what the upstream sends next.</summary>
    ValueTask<FrameReadStatus> ReadAsync(CancellationToken cancellationToken);

    /// <summary>The next complete event, valid until the next <see cref="ReadAsync"/>.</summary>
    bool TryTakeEvent(out ReadOnlyMemory<byte> ev);
}
