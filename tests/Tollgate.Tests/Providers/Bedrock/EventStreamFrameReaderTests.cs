using System.Buffers;
using System.Text;
using Tollgate.FakeProviders.Bedrock;
using Tollgate.Gateway.Streaming;
using Tollgate.Gateway.Translation;
using Tollgate.Providers.Bedrock;

namespace Tollgate.Tests.Providers.Bedrock;

/// <summary>The event-stream reader: whole messages however the bytes arrive, CRCs checked, a bound on size.</summary>
public sealed class EventStreamFrameReaderTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static byte[] Frames()
    {
        // Written by the fake's encoder, independent of the gateway's.
        var output = new ArrayBufferWriter<byte>();
        EventStreamWriter.Event(output, "messageStart", """{"role":"assistant","p":"abc"}"""u8);
        EventStreamWriter.Event(output, "contentBlockDelta", """{"contentBlockIndex":0,"delta":{"text":"héllo"}}"""u8);
        EventStreamWriter.Exception(output, "throttlingException", """{"message":"slow down"}"""u8);
        return output.WrittenSpan.ToArray();
    }

    private static async Task<(List<byte[]> Messages, FrameReadStatus Last)> ReadAllAsync(Stream body, int maxEventBytes = 1 << 20)
    {
        using var reader = new EventStreamFrameReader(body, maxEventBytes);
        var messages = new List<byte[]>();
        for (var reads = 0; reads < 10_000; reads++)
        {
            var status = await reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Timeout);
            while (reader.TryTakeEvent(out var ev))
            {
                messages.Add(ev.ToArray());
            }

            if (status != FrameReadStatus.Data)
            {
                return (messages, status);
            }
        }

        throw new InvalidOperationException("The reader did not finish.");
    }

    [Fact]
    public void Crc_StandardCheckValue_MatchesCrc32Ieee()
    {
        Assert.Equal(0xCBF43926u, EventStreamMessage.Crc("123456789"u8));
    }

    [Fact]
    public async Task Read_SplitAtEveryByteBoundary_YieldsTheSameWholeMessages()
    {
        var frames = Frames();
        var (expected, _) = await ReadAllAsync(new MemoryStream(frames));
        Assert.Equal(3, expected.Count);
        Assert.Equal(frames, expected.SelectMany(m => m).ToArray());

        for (var split = 1; split < frames.Length; split++)
        {
            var (messages, last) = await ReadAllAsync(new SplitStream(frames, split));

            Assert.Equal(FrameReadStatus.End, last);
            Assert.Equal(expected.Count, messages.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i], messages[i]);
            }
        }
    }

    [Fact]
    public async Task Read_OneByteAtATime_HeadersAndPayloadReadBack()
    {
        var (messages, _) = await ReadAllAsync(new SplitStream(Frames(), 1, everyRead: true));

        Assert.True(EventStreamMessage.TryRead(messages[1], out var delta));
        Assert.Equal("event", delta.StringHeader(":message-type"u8));
        Assert.Equal("contentBlockDelta", delta.StringHeader(":event-type"u8));
        Assert.Equal("application/json", delta.StringHeader(":content-type"u8));
        Assert.Equal("""{"contentBlockIndex":0,"delta":{"text":"héllo"}}""", Encoding.UTF8.GetString(delta.Payload));
        Assert.True(EventStreamMessage.TryRead(messages[2], out var exception));
        Assert.Equal("throttlingException", exception.StringHeader(":exception-type"u8));
    }

    [Theory]
    [InlineData(9, "prelude CRC")]   // a byte of the prelude CRC itself
    [InlineData(2, "prelude CRC")]   // a byte of the total length: the prelude CRC catches it first
    [InlineData(-6, "message CRC")]  // a payload byte
    [InlineData(-1, "message CRC")]  // a byte of the message CRC
    public async Task Read_CorruptFrame_IsAStreamFailureNamingTheCheck_NotAnException(int offset, string check)
    {
        // The second message is damaged at `offset` (from its end when negative).
        var corrupt = Frames();
        var first = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(corrupt);
        var second = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(corrupt.AsSpan(first));
        corrupt[first + (offset >= 0 ? offset : second + offset)] ^= 0x40;
        var decoder = new BedrockConverseStreamDecoder();
        var events = new List<StreamEvent>();

        var (messages, _) = await ReadAllAsync(new MemoryStream(corrupt));
        foreach (var message in messages)
        {
            decoder.Decode(message, events);
        }

        Assert.Equal(2, messages.Count); // the good first message, then the reader's error, nothing after
        Assert.IsType<StreamStarted>(Assert.Single(events));
        Assert.NotNull(decoder.Failure);
        Assert.Equal((502, EventStreamFrameReader.CorruptFrameCode), (decoder.Failure!.Status, decoder.Failure.Code));
        Assert.Contains(check, decoder.Failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_MessageLargerThanTheBound_IsEventTooLargeBeforeItIsBuffered()
    {
        var big = EventStreamMessage.Create([(":message-type", "event"), (":event-type", "contentBlockDelta")], new byte[4096]);

        var (messages, last) = await ReadAllAsync(new SplitStream(big, 100), maxEventBytes: 1024);

        Assert.Empty(messages);
        Assert.Equal(FrameReadStatus.EventTooLarge, last);
    }

    [Fact]
    public async Task Read_StreamEndsMidMessage_IsEndWithTheWholeMessagesOnly()
    {
        var frames = Frames();

        var (messages, last) = await ReadAllAsync(new MemoryStream(frames[..^3]));

        Assert.Equal((2, FrameReadStatus.End), (messages.Count, last));
    }

    /// <summary>Gives the bytes in two reads split at <c>split</c>, or <c>split</c> bytes per read.</summary>
    private sealed class SplitStream(byte[] data, int split, bool everyRead = false) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var limit = everyRead ? split : _position < split ? split - _position : data.Length - _position;
            var n = Math.Min(Math.Min(buffer.Length, limit), data.Length - _position);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
