using System.ClientModel;
using System.Text.Json;
using Tollgate.Budgets;
using static Tollgate.Tests.Gateway.Modalities.ModalityKit;

namespace Tollgate.Tests.Gateway.Videos;

/// <summary>The official OpenAI .NET SDK's video client (its protocol methods: the version here has no typed video models) against the gateway.</summary>
public sealed class VideoSdkTests
{
    [Fact]
    public async Task OfficialSdk_CreateGetDownload_ChargedOnce()
    {
        await using var host = await VideoKit.StartAsync();
#pragma warning disable OPENAI001 // the video client is marked experimental in this SDK version
        var videos = Sdk(host).GetVideoClient();
#pragma warning restore OPENAI001
        var body = BinaryContent.Create(BinaryData.FromString("""{"model":"mod-video","prompt":"a lighthouse fake:video_ms=200","seconds":"4","size":"720x1280"}"""));

        var created = await videos.CreateVideoAsync(body, "application/json").WaitAsync(Wait);
        var id = JsonDocument.Parse(created.GetRawResponse().Content).RootElement.GetProperty("id").GetString()!;
        string status;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        do
        {
            var got = await videos.GetVideoAsync(id, new System.ClientModel.Primitives.RequestOptions()).WaitAsync(Wait);
            status = JsonDocument.Parse(got.GetRawResponse().Content).RootElement.GetProperty("status").GetString()!;
            Assert.True(DateTime.UtcNow < deadline, $"still {status}");
            if (status != "completed")
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }
        }
        while (status != "completed");
        var file = await videos.DownloadVideoAsync(id, "video", new System.ClientModel.Primitives.RequestOptions()).WaitAsync(Wait);

        Assert.StartsWith("video_", id, StringComparison.Ordinal);
        Assert.Equal("ftyp"u8.ToArray(), file.GetRawResponse().Content.ToArray()[4..8]);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(Money.ToPico(4 * 0.1m), row.CostPico);
    }
}
