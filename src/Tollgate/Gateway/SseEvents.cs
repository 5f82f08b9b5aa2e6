namespace Tollgate.Gateway;

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
        while (!ev.IsEmpty)
        {
            var nl = ev.IndexOf((byte)'\n');
            var line = nl < 0 ? ev : ev[..nl];
            if (line.StartsWith("data:"u8))
            {
                return line[5..].Trim((byte)' ').TrimEnd((byte)'\r');
            }

            ev = nl < 0 ? [] : ev[(nl + 1)..];
        }

        return [];
    }
}
