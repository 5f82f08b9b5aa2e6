using System.Buffers.Binary;
using System.Text;
using Tollgate.Gateway.Endpoints.Transcriptions;

namespace Tollgate.Tests.Gateway.Modalities;

/// <summary>The duration a transcription's bound is computed from, read from each container's header.</summary>
public sealed class AudioDurationTests
{
    [Fact]
    public void Wav_DataSizeOverByteRate() => Assert.Equal(3m, AudioDuration.TryRead(ModalityKit.Wav(3)));

    [Fact]
    public void Flac_StreamInfoTotalSamplesOverRate()
    {
        var file = new byte[64];
        "fLaC"u8.CopyTo(file);
        // STREAMINFO: 44,100 Hz (20 bits from byte 18), 2 channels, 16 bits, 220,500 samples (36 bits ending at byte 25).
        const long rate = 44_100, samples = 220_500;
        file[18] = (byte)((rate >> 12) & 0xFF);
        file[19] = (byte)((rate >> 4) & 0xFF);
        file[20] = (byte)(((rate & 0x0F) << 4) | (1 << 1));
        file[21] = (byte)(0xF0 | ((samples >> 32) & 0x0F));
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(22), (uint)samples);

        Assert.Equal(5m, AudioDuration.TryRead(file));
    }

    [Fact]
    public void OggOpus_LastGranuleLessPreSkipAt48kHz()
    {
        var first = OggPage(0, [.. "OpusHead"u8, 1, 2, .. BitConverter.GetBytes((ushort)312), .. BitConverter.GetBytes(48_000), 0, 0, 0]);
        var last = OggPage((2 * 48_000) + 312, new byte[10]);

        Assert.Equal(2m, AudioDuration.TryRead([.. first, .. new byte[100], .. last]));
    }

    [Fact]
    public void Mp3_XingFrameCount()
    {
        // MPEG-1 layer III, 128 kbit/s, 44.1 kHz, stereo: the Xing header sits 32 bytes after the frame header.
        var file = new byte[2000];
        "ID3"u8.CopyTo(file);
        file[3] = 4; // a 0-byte ID3v2 tag: 10 header bytes
        var at = 10;
        file[at] = 0xFF;
        file[at + 1] = 0xFB;
        file[at + 2] = 0x90;
        file[at + 3] = 0x00;
        "Xing"u8.CopyTo(file.AsSpan(at + 4 + 32));
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(at + 40), 1);
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(at + 44), 3675); // 3675 × 1152 / 44100 = 96 s

        Assert.Equal(96m, AudioDuration.TryRead(file));
    }

    [Fact]
    public void Mp3_ConstantBitRate_BytesOverRate()
    {
        // MPEG-1 layer III at 32 kbit/s (index 1): 4,000 bytes a second; 12,000 bytes of frames.
        var file = new byte[12_000];
        file[0] = 0xFF;
        file[1] = 0xFB;
        file[2] = 0x10;

        Assert.Equal(3m, AudioDuration.TryRead(file));
    }

    [Fact]
    public void M4a_MovieHeaderDurationOverTimeScale()
    {
        var mvhd = new byte[100];
        BinaryPrimitives.WriteUInt32BigEndian(mvhd.AsSpan(12), 1000);
        BinaryPrimitives.WriteUInt32BigEndian(mvhd.AsSpan(16), 7500);
        byte[] file = [.. Box("ftyp", Encoding.ASCII.GetBytes("M4A \0\0\0\0")), .. Box("moov", Box("mvhd", mvhd))];

        Assert.Equal(7.5m, AudioDuration.TryRead(file));
    }

    [Fact]
    public void UnknownOrBrokenHeader_NoDuration_SizeBoundIsOneSecondPer2000Bytes()
    {
        Assert.Null(AudioDuration.TryRead("webm? no"u8));
        Assert.Null(AudioDuration.TryRead([.. "RIFF"u8, 0, 0, 0, 0, .. "WAVE"u8, .. "fmt "u8, 200, 0, 0, 0]));
        Assert.Equal(5m, AudioDuration.SizeBoundSeconds(9_000));
        Assert.Equal(1m, AudioDuration.SizeBoundSeconds(10));
    }

    private static byte[] OggPage(long granule, byte[] payload)
    {
        var page = new byte[27 + 1 + payload.Length];
        "OggS"u8.CopyTo(page);
        BinaryPrimitives.WriteInt64LittleEndian(page.AsSpan(6), granule);
        page[26] = 1;
        page[27] = (byte)payload.Length;
        payload.CopyTo(page, 28);
        return page;
    }

    private static byte[] Box(string type, byte[] payload)
    {
        var box = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(box, (uint)box.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(box, 4);
        payload.CopyTo(box, 8);
        return box;
    }
}
