using System.Text;
using Tollgate.Gateway.Streaming;

namespace Tollgate.Tests.Gateway;

public sealed class SseFrameReaderTests
{
    [Fact]
    public async Task Events_SplitAcrossReads_ComeOutWhole()
    {
        var bytes = Encoding.UTF8.GetBytes("data: {\"a\":1}\n\n: ping\n\ndata: [DONE]\r\n\r\n");
        using var reader = new SseFrameReader(new OneByteStream(bytes), 1024);
        var events = new List<string>();

        while (await reader.ReadAsync(TestContext.Current.CancellationToken) == FrameReadStatus.Data)
        {
            while (reader.TryTakeEvent(out var ev))
            {
                events.Add(Encoding.UTF8.GetString(ev.Span));
            }
        }

        Assert.Equal(["data: {\"a\":1}\n\n", ": ping\n\n", "data: [DONE]\r\n\r\n"], events);
    }

    [Fact]
    public async Task AnEventPastTheBound_StopsTheStreamInsteadOfGrowingTheBuffer()
    {
        var huge = Encoding.UTF8.GetBytes("data: " + new string('x', 200_000) + "\n\n");
        using var reader = new SseFrameReader(new MemoryStream(huge), 64 * 1024);
        var status = FrameReadStatus.Data;

        for (var reads = 0; status == FrameReadStatus.Data && reads < 1000; reads++)
        {
            status = await reader.ReadAsync(TestContext.Current.CancellationToken);
            Assert.False(reader.TryTakeEvent(out _));
        }

        Assert.Equal(FrameReadStatus.EventTooLarge, status);
    }

    private sealed class OneByteStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
