using System.Buffers;

namespace Tollgate.Gateway.Streaming;

/// <summary>What one read of an upstream event stream brought.</summary>
internal enum FrameReadStatus
{
    /// <summary>More bytes arrived; complete events may be waiting in <see cref="IStreamFrameReader.TryTakeEvent"/>.</summary>
    Data,

    /// <summary>The upstream closed the stream.</summary>
    End,

    /// <summary>One event grew past the bound without ending: the stream cannot be relayed.</summary>
    EventTooLarge,
}

/// <summary>
/// Cuts an upstream byte stream into whole server-sent events, in a pooled buffer that grows only up
/// to <c>maxEventBytes</c> (one event may not be larger), so a provider cannot make the gateway buffer
/// without bound.
/// </summary>
internal sealed class SseFrameReader(Stream body, int maxEventBytes) : IStreamFrameReader
{
    private const int InitialBytes = 16 * 1024;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBytes);
    private int _start;
    private int _end;

    /// <summary>Reads what the upstream sends next.</summary>
    public async ValueTask<FrameReadStatus> ReadAsync(CancellationToken cancellationToken)
    {
        if (_end == _buffer.Length)
        {
            if (!MakeRoom())
            {
                return FrameReadStatus.EventTooLarge;
            }
        }

        var read = await body.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return FrameReadStatus.End;
        }

        _end += read;
        return FrameReadStatus.Data;
    }

    /// <summary>The next complete event (its blank line included), valid until the next <see cref="ReadAsync"/>.</summary>
    public bool TryTakeEvent(out ReadOnlyMemory<byte> ev)
    {
        if (SseEvents.TryFindEnd(_buffer.AsSpan(_start, _end - _start), out var length))
        {
            ev = _buffer.AsMemory(_start, length);
            _start += length;
            return true;
        }

        ev = default;
        return false;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    // Moves the unfinished event to the front, or grows the buffer while the event stays within the bound.
    private bool MakeRoom()
    {
        var pending = _end - _start;
        if (_start > 0)
        {
            _buffer.AsSpan(_start, pending).CopyTo(_buffer);
            _start = 0;
            _end = pending;
            return true;
        }

        if (_buffer.Length >= maxEventBytes)
        {
            return false;
        }

        var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)_buffer.Length * 2, maxEventBytes));
        _buffer.AsSpan(0, pending).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
        return true;
    }
}
