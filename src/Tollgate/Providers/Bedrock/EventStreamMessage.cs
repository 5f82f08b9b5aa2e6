using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Tollgate.Providers.Bedrock;

/// <summary>
/// One message of AWS's binary event stream (<c>application/vnd.amazon.eventstream</c>):
/// <code>
/// prelude:  total length (u32 BE) | headers length (u32 BE) | CRC32 of those 8 bytes (u32 BE)
/// headers:  repeated name length (u8) | name (UTF-8) | value type (u8) | value
/// payload:  total − headers − 16 bytes
/// trailer:  CRC32 of everything before it (u32 BE)
/// </code>
/// Header value types: 0 true, 1 false, 2 byte, 3 short, 4 int, 5 long, 6 byte array (u16 length),
/// 7 string (u16 length), 8 timestamp (i64 ms), 9 UUID (16 bytes). Bedrock's messages carry
/// <c>:message-type</c> (<c>event</c>, <c>exception</c>, <c>error</c>), <c>:event-type</c> or
/// <c>:exception-type</c> (or <c>:error-code</c> / <c>:error-message</c>), and <c>:content-type</c>.
/// </summary>
internal readonly ref struct EventStreamMessage
{
    /// <summary>Prelude bytes: total length, headers length, prelude CRC.</summary>
    public const int PreludeBytes = 12;

    /// <summary>The smallest message: a prelude and the message CRC.</summary>
    public const int MinimumBytes = 16;

    private EventStreamMessage(ReadOnlySpan<byte> headers, ReadOnlySpan<byte> payload)
    {
        Headers = headers;
        Payload = payload;
    }

    /// <summary>The encoded headers.</summary>
    public ReadOnlySpan<byte> Headers { get; }

    /// <summary>The payload (JSON for Bedrock).</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>
    /// Splits one whole message, already CRC-checked by the reader, into headers and payload; false
    /// when its lengths do not hold together.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out EventStreamMessage read)
    {
        read = default;
        if (message.Length < MinimumBytes)
        {
            return false;
        }

        var total = BinaryPrimitives.ReadUInt32BigEndian(message);
        var headers = BinaryPrimitives.ReadUInt32BigEndian(message[4..]);
        if (total != message.Length || headers > total - MinimumBytes)
        {
            return false;
        }

        read = new EventStreamMessage(
            message.Slice(PreludeBytes, (int)headers),
            message.Slice(PreludeBytes + (int)headers, (int)(total - headers - MinimumBytes)));
        return true;
    }

    /// <summary>The value of string header <paramref name="name"/> (type 7), or null when absent or of another type.</summary>
    public string? StringHeader(ReadOnlySpan<byte> name)
    {
        var headers = Headers;
        while (headers.Length > 0)
        {
            int nameLength = headers[0];
            if (headers.Length < 2 + nameLength)
            {
                return null;
            }

            var headerName = headers.Slice(1, nameLength);
            var type = headers[1 + nameLength];
            var rest = headers[(2 + nameLength)..];
            var valueLength = ValueLength(type, rest);
            if (valueLength < 0 || valueLength > rest.Length)
            {
                return null;
            }

            if (type == 7 && headerName.SequenceEqual(name))
            {
                return Encoding.UTF8.GetString(rest.Slice(2, valueLength - 2));
            }

            headers = rest[valueLength..];
        }

        return null;
    }

    // Bytes a value of type `type` takes at the start of `value` (length prefix included), or -1.
    private static int ValueLength(byte type, ReadOnlySpan<byte> value) => type switch
    {
        0 or 1 => 0,
        2 => 1,
        3 => 2,
        4 => 4,
        5 or 8 => 8,
        9 => 16,
        6 or 7 => value.Length < 2 ? -1 : 2 + BinaryPrimitives.ReadUInt16BigEndian(value),
        _ => -1,
    };

    /// <summary>CRC32 (IEEE, as the event stream uses) of <paramref name="data"/>.</summary>
    public static uint Crc(ReadOnlySpan<byte> data) => Crc32.HashToUInt32(data);

    /// <summary>
    /// Writes one message with string headers and a payload (the gateway's own messages, the tests'
    /// and the benchmark's frames).
    /// </summary>
    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<(string Name, string Value)> headers, ReadOnlySpan<byte> payload)
    {
        var headerBytes = 0;
        foreach (var (name, value) in headers)
        {
            headerBytes += 1 + Encoding.UTF8.GetByteCount(name) + 1 + 2 + Encoding.UTF8.GetByteCount(value);
        }

        var total = MinimumBytes + headerBytes + payload.Length;
        var span = output.GetSpan(total)[..total];
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)total);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)headerBytes);
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], Crc(span[..8]));
        var at = PreludeBytes;
        foreach (var (name, value) in headers)
        {
            var nameLength = Encoding.UTF8.GetBytes(name, span[(at + 1)..]);
            span[at] = (byte)nameLength;
            at += 1 + nameLength;
            span[at++] = 7;
            var valueLength = Encoding.UTF8.GetBytes(value, span[(at + 2)..]);
            BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)valueLength);
            at += 2 + valueLength;
        }

        payload.CopyTo(span[at..]);
        at += payload.Length;
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], Crc(span[..at]));
        output.Advance(total);
    }

    /// <summary>One whole message as a new array.</summary>
    public static byte[] Create(ReadOnlySpan<(string Name, string Value)> headers, ReadOnlySpan<byte> payload)
    {
        var output = new ArrayBufferWriter<byte>(64 + payload.Length);
        Write(output, headers, payload);
        return output.WrittenSpan.ToArray();
    }
}
