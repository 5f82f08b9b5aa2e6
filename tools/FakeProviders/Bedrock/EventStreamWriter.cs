using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Tollgate.FakeProviders.Bedrock;

/// <summary>
/// Writes AWS event-stream messages (<c>application/vnd.amazon.eventstream</c>): a 12-byte prelude
/// (total length, headers length, CRC32 of those 8 bytes), string headers (name length, name, type 7,
/// value length, value), the payload and a CRC32 of everything before it; all big-endian.
/// </summary>
internal static class EventStreamWriter
{
    /// <summary>An <c>event</c> message of <paramref name="eventType"/> with a JSON payload.</summary>
    public static void Event(IBufferWriter<byte> output, string eventType, ReadOnlySpan<byte> json) =>
        Write(output, [(":event-type", eventType), (":content-type", "application/json"), (":message-type", "event")], json);

    /// <summary>An <c>exception</c> message of <paramref name="exceptionType"/> with <c>{"message":...}</c>.</summary>
    public static void Exception(IBufferWriter<byte> output, string exceptionType, ReadOnlySpan<byte> json) =>
        Write(output, [(":exception-type", exceptionType), (":content-type", "application/json"), (":message-type", "exception")], json);

    private static void Write(IBufferWriter<byte> output, ReadOnlySpan<(string Name, string Value)> headers, ReadOnlySpan<byte> payload)
    {
        var headerBytes = new ArrayBufferWriter<byte>(128);
        foreach (var (name, value) in headers)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            var valueBytes = Encoding.UTF8.GetBytes(value);
            var span = headerBytes.GetSpan(4 + nameBytes.Length + valueBytes.Length);
            span[0] = (byte)nameBytes.Length;
            nameBytes.CopyTo(span[1..]);
            span[1 + nameBytes.Length] = 7; // string
            BinaryPrimitives.WriteUInt16BigEndian(span[(2 + nameBytes.Length)..], (ushort)valueBytes.Length);
            valueBytes.CopyTo(span[(4 + nameBytes.Length)..]);
            headerBytes.Advance(4 + nameBytes.Length + valueBytes.Length);
        }

        var total = 12 + headerBytes.WrittenCount + payload.Length + 4;
        var message = output.GetSpan(total)[..total];
        BinaryPrimitives.WriteInt32BigEndian(message, total);
        BinaryPrimitives.WriteInt32BigEndian(message[4..], headerBytes.WrittenCount);
        BinaryPrimitives.WriteUInt32BigEndian(message[8..], Crc32.HashToUInt32(message[..8]));
        headerBytes.WrittenSpan.CopyTo(message[12..]);
        payload.CopyTo(message[(12 + headerBytes.WrittenCount)..]);
        BinaryPrimitives.WriteUInt32BigEndian(message[(total - 4)..], Crc32.HashToUInt32(message[..(total - 4)]));
        output.Advance(total);
    }
}
