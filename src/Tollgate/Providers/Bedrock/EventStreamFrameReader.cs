using System.Buffers;
using System.Buffers.Binary;
using Tollgate.Gateway.Streaming;

namespace Tollgate.Providers.Bedrock;

/// <summary>
/// Cuts an AWS event stream into whole messages, in a pooled buffer that grows only up to
/// <c>maxEventBytes</c>, checking each message's prelude CRC and message CRC. A message that fails a
/// check (or whose lengths cannot be right) ends the stream as a failure, not an exception: the
/// reader hands out one <c>:message-type error</c> message of its own (<see cref="CorruptFrameCode"/>)
/// that the stream decoder reports like any error the provider sends, and reads no further.
/// </summary>
internal sealed class EventStreamFrameReader(Stream body, int maxEventBytes) : IStreamFrameReader
{
    /// <summary>The <c>:error-code</c> of the message standing in for a corrupt frame.</summary>
    public const string CorruptFrameCode = "CorruptFrame";

    private const int InitialBytes = 16 * 1024;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(InitialBytes);
    private int _start;
    private int _end;
    private bool _tooLarge;
    private bool _broken;
    private byte[]? _corrupt;

    /// <summary>Reads what the upstream sends next.</summary>
    public async ValueTask<FrameReadStatus> ReadAsync(CancellationToken cancellationToken)
    {
        if (_tooLarge)
        {
            return FrameReadStatus.EventTooLarge;
        }

        if (_end == _buffer.Length && !MakeRoom())
        {
            return FrameReadStatus.EventTooLarge;
        }

        var read = await body.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return FrameReadStatus.End;
        }

        _end += read;
        return FrameReadStatus.Data;
    }

    /// <summary>The next complete, checked message, valid until the next <see cref="ReadAsync"/>.</summary>
    public bool TryTakeEvent(out ReadOnlyMemory<byte> ev)
    {
        ev = default;
        if (_corrupt is { } corrupt)
        {
            _corrupt = null;
            ev = corrupt;
            return true;
        }

        var pending = _buffer.AsSpan(_start, _end - _start);
        if (_broken || _tooLarge || pending.Length < EventStreamMessage.PreludeBytes)
        {
            return false;
        }

        // The prelude is checked before its lengths are trusted: a flipped bit must not make the
        // reader wait for gigabytes.
        var total = BinaryPrimitives.ReadUInt32BigEndian(pending);
        var headers = BinaryPrimitives.ReadUInt32BigEndian(pending[4..]);
        if (BinaryPrimitives.ReadUInt32BigEndian(pending[8..]) != EventStreamMessage.Crc(pending[..8]))
        {
            return Fail("The event stream's prelude CRC does not match.", out ev);
        }

        if (total < EventStreamMessage.MinimumBytes || headers > total - EventStreamMessage.MinimumBytes)
        {
            return Fail("The event stream's message lengths are inconsistent.", out ev);
        }

        if (total > (uint)maxEventBytes)
        {
            _tooLarge = true;
            return false;
        }

        if (pending.Length < total)
        {
            return false;
        }

        var length = (int)total;
        if (BinaryPrimitives.ReadUInt32BigEndian(pending[(length - 4)..]) != EventStreamMessage.Crc(pending[..(length - 4)]))
        {
            return Fail("The event stream's message CRC does not match.", out ev);
        }

        ev = _buffer.AsMemory(_start, length);
        _start += length;
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private bool Fail(string message, out ReadOnlyMemory<byte> ev)
    {
        _broken = true;
        ev = EventStreamMessage.Create(
            [(":message-type", "error"), (":error-code", CorruptFrameCode), (":error-message", message)], default);
        return true;
    }

    // Moves the unfinished message to the front, or grows the buffer while it stays within the bound.
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
