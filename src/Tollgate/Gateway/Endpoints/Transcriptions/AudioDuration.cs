using System.Buffers.Binary;

namespace Tollgate.Gateway.Endpoints.Transcriptions;

/// <summary>
/// The duration of an uploaded audio file read from its container header, for the worst case of a
/// transcription before it goes upstream: WAV (<c>fmt </c> byte rate and <c>data</c> size), FLAC
/// (STREAMINFO total samples), OGG (the last page's granule position, Vorbis or Opus), MP3 (a
/// Xing/Info frame count, else the first frame's bit rate over the audio bytes) and M4A/MP4
/// (<c>mvhd</c> duration and time scale). Anything else, or a header that does not parse, gets the
/// size bound: <see cref="SizeBoundSeconds"/>.
/// </summary>
internal static class AudioDuration
{
    /// <summary>The lowest bit rate assumed of an audio file whose header cannot be read: 16 kbit/s, i.e. 2,000 bytes a second.</summary>
    public const long MinBytesPerSecond = 2_000;

    /// <summary>The duration in seconds (rounded up to the millisecond), or null when the header cannot be read.</summary>
    public static decimal? TryRead(ReadOnlySpan<byte> file)
    {
        decimal? seconds = null;
        try
        {
            seconds = file.StartsWith("RIFF"u8) && file.Length > 12 && file[8..].StartsWith("WAVE"u8) ? Wav(file)
                : file.StartsWith("fLaC"u8) ? Flac(file)
                : file.StartsWith("OggS"u8) ? Ogg(file)
                : file.Length > 8 && file[4..].StartsWith("ftyp"u8) ? Mp4(file)
                : Mp3(file);
        }
        catch (ArgumentOutOfRangeException)
        {
            // A header that claims more than the file holds: no duration.
        }

        return seconds is > 0 and < 1_000_000m ? Math.Ceiling(seconds.Value * 1000m) / 1000m : null;
    }

    /// <summary>The size bound: seconds at <see cref="MinBytesPerSecond"/>, at least one.</summary>
    public static decimal SizeBoundSeconds(long bytes) => Math.Max(1, (bytes + MinBytesPerSecond - 1) / MinBytesPerSecond);

    private static decimal? Wav(ReadOnlySpan<byte> file)
    {
        long byteRate = 0;
        var at = 12;
        while (at + 8 <= file.Length)
        {
            var id = file.Slice(at, 4);
            long size = BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(at + 4, 4));
            if (id.SequenceEqual("fmt "u8))
            {
                byteRate = BinaryPrimitives.ReadUInt32LittleEndian(file.Slice(at + 16, 4));
            }
            else if (id.SequenceEqual("data"u8))
            {
                // A streamed WAV leaves the size unset (0 or 0xFFFFFFFF): the rest of the file is data.
                var data = size is 0 or uint.MaxValue ? file.Length - at - 8 : size;
                return byteRate > 0 ? (decimal)data / byteRate : null;
            }

            at += 8 + (int)Math.Min(size + (size & 1), int.MaxValue - at - 8);
        }

        return null;
    }

    private static decimal? Flac(ReadOnlySpan<byte> file)
    {
        // "fLaC", a metadata block header (4 bytes), then STREAMINFO: sample rate in 20 bits at byte 18,
        // total samples in 36 bits ending at byte 25.
        var b = file[..26];
        long rate = (b[18] << 12) | (b[19] << 4) | (b[20] >> 4);
        var samples = ((long)(b[21] & 0x0F) << 32) | ((long)b[22] << 24) | ((long)b[23] << 16) | ((long)b[24] << 8) | b[25];
        return rate > 0 && samples > 0 ? (decimal)samples / rate : null;
    }

    private static decimal? Ogg(ReadOnlySpan<byte> file)
    {
        // The first page's first packet names the codec; the last page's granule position counts samples.
        var head = file[..Math.Min(file.Length, 512)];
        long rate;
        long skip = 0;
        if (head.IndexOf("OpusHead"u8) is var opus and >= 0)
        {
            rate = 48_000; // Opus granule positions always count 48 kHz samples
            skip = BinaryPrimitives.ReadUInt16LittleEndian(head.Slice(opus + 10, 2));
        }
        else if (head.IndexOf("\u0001vorbis"u8) is var vorbis and >= 0)
        {
            rate = BinaryPrimitives.ReadUInt32LittleEndian(head.Slice(vorbis + 12, 4));
        }
        else
        {
            return null;
        }

        var last = file.LastIndexOf("OggS"u8);
        var granule = BinaryPrimitives.ReadInt64LittleEndian(file.Slice(last + 6, 8));
        return rate > 0 && granule > skip ? (decimal)(granule - skip) / rate : null;
    }

    private static decimal? Mp4(ReadOnlySpan<byte> file)
    {
        var moov = Box(file, "moov"u8);
        if (moov.IsEmpty)
        {
            return null;
        }

        var mvhd = Box(moov, "mvhd"u8);
        if (mvhd.IsEmpty)
        {
            return null;
        }

        var version = mvhd[0];
        var (scale, duration) = version == 1
            ? (BinaryPrimitives.ReadUInt32BigEndian(mvhd.Slice(20, 4)), (long)BinaryPrimitives.ReadUInt64BigEndian(mvhd.Slice(24, 8)))
            : (BinaryPrimitives.ReadUInt32BigEndian(mvhd.Slice(12, 4)), BinaryPrimitives.ReadUInt32BigEndian(mvhd.Slice(16, 4)));
        return scale > 0 && duration > 0 ? (decimal)duration / scale : null;
    }

    /// <summary>The payload of the first box of <paramref name="type"/> among the boxes of <paramref name="boxes"/>, or empty.</summary>
    private static ReadOnlySpan<byte> Box(ReadOnlySpan<byte> boxes, ReadOnlySpan<byte> type)
    {
        var at = 0;
        while (at + 8 <= boxes.Length)
        {
            long size = BinaryPrimitives.ReadUInt32BigEndian(boxes.Slice(at, 4));
            var header = 8;
            if (size == 1)
            {
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(boxes.Slice(at + 8, 8));
                header = 16;
            }
            else if (size == 0)
            {
                size = boxes.Length - at;
            }

            if (size < header || at + size > boxes.Length)
            {
                return [];
            }

            if (boxes.Slice(at + 4, 4).SequenceEqual(type))
            {
                return boxes.Slice(at + header, (int)size - header);
            }

            at += (int)size;
        }

        return [];
    }

    private static readonly int[] Mpeg1Layer3Kbps = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
    private static readonly int[] Mpeg2Layer3Kbps = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
    private static readonly int[] Mpeg1Rates = [44_100, 48_000, 32_000];

    private static decimal? Mp3(ReadOnlySpan<byte> file)
    {
        var at = 0;
        if (file.StartsWith("ID3"u8) && file.Length > 10)
        {
            // An ID3v2 tag: its size is four 7-bit "syncsafe" bytes, after a 10-byte header.
            at = 10 + ((file[6] & 0x7F) << 21 | (file[7] & 0x7F) << 14 | (file[8] & 0x7F) << 7 | (file[9] & 0x7F));
        }

        // The first frame header within 64 KiB of the tag: 11 sync bits, then version and layer III.
        var limit = Math.Min(file.Length - 4, at + 65_536);
        for (; at < limit; at++)
        {
            if (file[at] != 0xFF || (file[at + 1] & 0xE0) != 0xE0)
            {
                continue;
            }

            var version = (file[at + 1] >> 3) & 0x03; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5
            var layer = (file[at + 1] >> 1) & 0x03;   // 1: layer III
            var bitrateIndex = file[at + 2] >> 4;
            var rateIndex = (file[at + 2] >> 2) & 0x03;
            if (version == 1 || layer != 1 || bitrateIndex is 0 or 15 || rateIndex == 3)
            {
                continue;
            }

            var mpeg1 = version == 3;
            var sampleRate = Mpeg1Rates[rateIndex] / (mpeg1 ? 1 : version == 2 ? 2 : 4);
            var mono = (file[at + 3] >> 6) == 3;
            var samplesPerFrame = mpeg1 ? 1152 : 576;

            // A VBR file says its frame count in a Xing/Info header inside the first frame.
            var side = mpeg1 ? (mono ? 17 : 32) : (mono ? 9 : 17);
            var xing = at + 4 + side;
            if (xing + 12 <= file.Length && (file.Slice(xing, 4).SequenceEqual("Xing"u8) || file.Slice(xing, 4).SequenceEqual("Info"u8))
                && (BinaryPrimitives.ReadUInt32BigEndian(file.Slice(xing + 4, 4)) & 1) == 1)
            {
                var frames = BinaryPrimitives.ReadUInt32BigEndian(file.Slice(xing + 8, 4));
                return frames > 0 ? (decimal)frames * samplesPerFrame / sampleRate : null;
            }

            var kbps = (mpeg1 ? Mpeg1Layer3Kbps : Mpeg2Layer3Kbps)[bitrateIndex];
            return (decimal)(file.Length - at) * 8 / (kbps * 1000m);
        }

        return null;
    }
}
