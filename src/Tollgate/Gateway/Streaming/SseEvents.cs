namespace Tollgate.Gateway.Streaming;

/// <summary>Framing of server-sent events: events end with a blank line (<c>\n\n</c> or <c>\r\n\r\n</c>).</summary>
internal static class SseEvents
{
    /// <summary>Finds the end of the first complete event; <paramref name="length"/> includes the blank line.</summary>
    public static bool TryFindEnd(ReadOnlySpan<byte> buffer, out int length)
    {
        var offset = 0;
        while (true)
        {
            var i = buffer[offset..].IndexOf((byte)'\n');
            if (i < 0)
            {
                length = 0;
                return false;
            }

            i += offset;
            if (i + 1 < buffer.Length && buffer[i + 1] == '\n')
            {
                length = i + 2;
                return true;
            }

            if (i + 2 < buffer.Length && buffer[i + 1] == '\r' && buffer[i + 2] == '\n')
            {
                length = i + 3;
                return true;
            }

            offset = i + 1;
        }
    }

    /// <summary>
    /// The payload of an event's first <c>data:</c> line, trimmed; empty for comments and events without data.
    /// (OpenAI-style streams put one JSON object on one data line.)
    /// </summary>
    public static ReadOnlySpan<byte> Data(ReadOnlySpan<byte> ev)
    {
        var (start, length) = DataRange(ev);
        return ev.Slice(start, length);
    }

    /// <summary>Where <see cref="Data"/> sits in <paramref name="ev"/>: (0, 0) when there is none.</summary>
    public static (int Start, int Length) DataRange(ReadOnlySpan<byte> ev)
    {
        var offset = 0;
        while (offset < ev.Length)
        {
            var rest = ev[offset..];
            var nl = rest.IndexOf((byte)'\n');
            var line = nl < 0 ? rest : rest[..nl];
            if (line.StartsWith("data:"u8))
            {
                var start = 5;
                while (start < line.Length && line[start] == (byte)' ')
                {
                    start++;
                }

                var end = line.Length;
                while (end > start && line[end - 1] is (byte)' ' or (byte)'\r')
                {
                    end--;
                }

                return (offset + start, end - start);
            }

            offset = nl < 0 ? ev.Length : offset + nl + 1;
        }

        return (0, 0);
    }
}
