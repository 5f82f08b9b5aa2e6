using System.Net;
using System.Text.Json;
using Tollgate.Storage;
using Tollgate.Tests.Infrastructure;
using static Tollgate.Tests.Budgets.BudgetTestCalls;
using static Tollgate.Tests.Gateway.Modalities.ModalityKit;

namespace Tollgate.Tests.Gateway.Videos;

/// <summary>What the video job tests share: hosts, requests, polling with a deadline, and the budget views.</summary>
internal static class VideoKit
{
    /// <summary>A host whose poller looks at open jobs every <paramref name="pollSeconds"/> (3600: only a client's GET settles).</summary>
    public static Task<GatewayTestHost> StartAsync(DbDialect dialect = DbDialect.Sqlite, string pollSeconds = "3600") =>
        GatewayTestHost.StartAsync(dialect, new Dictionary<string, string?> { ["Tollgate:Videos:PollSeconds"] = pollSeconds });

    /// <summary>A JSON create body for the test model <c>mod-video</c>; <paramref name="knobs"/> go in the prompt as fake directives.</summary>
    public static StringContent Create(string seconds = "8", string size = "1280x720", string knobs = "fake:video_ms=300") =>
        Json(JsonSerializer.Serialize(new { model = "mod-video", prompt = $"a lighthouse at dusk {knobs}", seconds, size }));

    /// <summary>Creates a job and returns its video object; fails the test on anything but 200.</summary>
    public static async Task<JsonElement> CreateOkAsync(HttpClient client, StringContent? body = null)
    {
        var response = await client.PostAsync("v1/videos", body ?? Create(), TestContext.Current.CancellationToken).WaitAsync(Wait);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var json = JsonDocument.Parse(text);
        return json.RootElement.Clone();
    }

    /// <summary>GETs the job until its status is <paramref name="status"/>, within 20 seconds.</summary>
    public static async Task<JsonElement> WaitForStatusAsync(HttpClient client, string id, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var response = await client.GetAsync($"v1/videos/{id}", TestContext.Current.CancellationToken).WaitAsync(Wait);
            var video = await JsonAsync(response);
            Assert.True(response.IsSuccessStatusCode, video.ToString());
            if (video.GetProperty("status").GetString() == status)
            {
                return video;
            }

            Assert.True(DateTime.UtcNow < deadline, $"job {id} is still {video.GetProperty("status")}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Waits, within 20 seconds, until <paramref name="done"/> holds.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await done().WaitAsync(Wait))
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The member's spend cap usage (<c>usage.spend</c>: used, reserved) through the budget API, as the member sees it.</summary>
    public static async Task<(string Used, string Reserved)> MemberSpendAsync(GatewayTestHost host, TollgateServer? server = null)
    {
        using var client = (server ?? host.Server).CreateClient(host.Token);
        var view = await JsonAsync(await client.GetAsync($"orgs/{host.OrgId}/members/me/budget", TestContext.Current.CancellationToken).WaitAsync(Wait));
        var spend = view.GetProperty("usage").GetProperty("spend");
        return (spend.GetProperty("used").GetString()!, spend.GetProperty("reserved").GetString()!);
    }

    /// <summary>Video creates that reached the fake.</summary>
    public static int UpstreamCreates(GatewayTestHost host) => host.Fake.Requests.Count(r => r.Path.EndsWith("/v1/videos", StringComparison.Ordinal) && r.Body.Length > 0);
}
