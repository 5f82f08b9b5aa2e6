using System.Buffers;

namespace Tollgate.Gateway.Pipeline;

/// <summary>
/// The client's request bytes with edits spliced in (a replaced value, an inserted or removed
/// property): how every passthrough endpoint changes a body without re-serialising it.
/// </summary>
internal static class JsonSplice
{
    /// <summary>Applies non-overlapping edits, each replacing <c>[Start, End)</c> of <paramref name="raw"/> with its bytes.</summary>
    public static byte[] Apply(byte[] raw, List<(int Start, int End, byte[] Bytes)> edits)
    {
        edits.Sort((a, b) => a.Start.CompareTo(b.Start));
        var body = new ArrayBufferWriter<byte>(raw.Length + 64);
        var at = 0;
        foreach (var (start, end, bytes) in edits)
        {
            body.Write(raw.AsSpan(at, start - at));
            body.Write(bytes);
            at = end;
        }

        body.Write(raw.AsSpan(at));
        return body.WrittenSpan.ToArray();
    }
}
