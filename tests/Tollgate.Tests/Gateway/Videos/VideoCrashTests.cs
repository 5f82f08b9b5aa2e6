using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Tollgate.FakeProviders;
using Tollgate.Storage;
using Tollgate.Tests.Budgets;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Gateway.Videos;

/// <summary>A video job's hold is durable: it survives a kill -9 of the server and is settled once after the restart.</summary>
public sealed class VideoCrashTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Theory]
    [MemberData(nameof(TestDatabases.Dialects), MemberType = typeof(TestDatabases))]
    public async Task KillDashNineWhileAJobRuns_TheHoldSurvives_AndTheJobIsChargedOnceAfterTheRestart(DbDialect dialect)
    {
        await using var fake = await FakeProviderServer.StartAsync().WaitAsync(Wait);
        var dir = Path.Combine(Path.GetTempPath(), "tollgate-video-crash-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var catalogPath = Path.Combine(dir, "catalog.json");
        await File.WriteAllTextAsync(catalogPath, GatewayTestHost.CatalogJson, TestContext.Current.CancellationToken);
        var connectionString = await TestDatabases.NewConnectionStringAsync(dialect);
        string[] settings = dialect == DbDialect.Postgres
            ? ["--Tollgate:Database:Provider=postgres", $"--Tollgate:Database:ConnectionString={connectionString}", "--Tollgate:Videos:PollSeconds=3600"]
            : ["--Tollgate:Videos:PollSeconds=3600"];
        var dbPath = Path.Combine(dir, "tollgate.db");
        var sqlite = dialect == DbDialect.Sqlite ? $"Data Source={dbPath}" : connectionString;

        // :: A job is made and held; then the server is killed.
        var (first, address) = await CrashRecoveryTests.StartServerProcessAsync(dbPath, catalogPath, fake.OpenAIBaseUrl("openai"), settings).WaitAsync(TimeSpan.FromSeconds(90));
        string token, orgId, key, videoId;
        try
        {
            using var admin = new HttpClient { BaseAddress = address, Timeout = Wait };
            var email = $"video-crash-{Guid.NewGuid():N}@example.test";
            await PostAsync(admin, "auth/signup", new { email, password = "video-crash-password", name = "Crash" });
            token = (await PostAsync(admin, "auth/login", new { email, password = "video-crash-password" })).GetProperty("token").GetString()!;
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            orgId = (await PostAsync(admin, "orgs", new { name = "Crash" })).GetProperty("id").GetString()!;
            var projectId = (await PostAsync(admin, $"orgs/{orgId}/projects", new { name = "p" })).GetProperty("id").GetString()!;
            var created = await PostAsync(admin, $"orgs/{orgId}/keys", new { projectId, name = "k" });
            key = created.GetProperty("key").GetString()!;
            var keyId = created.GetProperty("id").GetString()!;
            var put = await admin.PutAsync($"orgs/{orgId}/keys/{keyId}/budget",
                new StringContent("""{"spend":{"type":"fixed","limit":"1"}}""", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken).WaitAsync(Wait);
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

            using var gateway = GatewayClient(address, key);
            videoId = (await PostAsync(gateway, "v1/videos", new { model = "mod-video", prompt = "a storm fake:video_ms=500", seconds = "8", size = "1280x720" }))
                .GetProperty("id").GetString()!;
            Assert.Equal(("0", "0.8"), await MemberSpendAsync(address, token, orgId));
        }
        finally
        {
            first.Kill(); // SIGKILL: no graceful shutdown
            await first.WaitForExitAsync().WaitAsync(Wait);
        }

        // :: Restarted on the same database: the hold is still counted, and enforced.
        var (second, address2) = await CrashRecoveryTests.StartServerProcessAsync(dbPath, catalogPath, fake.OpenAIBaseUrl("openai"), settings).WaitAsync(TimeSpan.FromSeconds(90));
        try
        {
            using var gateway = GatewayClient(address2, key);
            Assert.Equal(("0", "0.8"), await MemberSpendAsync(address2, token, orgId));
            var denied = await gateway.PostAsJsonAsync("v1/videos", new { model = "mod-video", prompt = "another", seconds = "8", size = "1280x720" },
                TestContext.Current.CancellationToken).WaitAsync(Wait);
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);

            // A client's read sees the job ended and settles it, once, however often it reads.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                using var video = JsonDocument.Parse(await gateway.GetStringAsync($"v1/videos/{videoId}", TestContext.Current.CancellationToken).WaitAsync(Wait));
                if (video.RootElement.GetProperty("status").GetString() == "completed")
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, "the job did not complete");
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }

            await gateway.GetStringAsync($"v1/videos/{videoId}", TestContext.Current.CancellationToken).WaitAsync(Wait);
            Assert.Equal(("0.8", "0"), await MemberSpendAsync(address2, token, orgId));
        }
        finally
        {
            second.Kill();
            await second.WaitForExitAsync().WaitAsync(Wait);
        }

        await using var db = new Database(dialect, sqlite);
        await using var connection = await db.OpenAsync(TestContext.Current.CancellationToken);
        var rows = (await connection.QueryAsync<(string Endpoint, long CostPico)>("SELECT endpoint, cost_pico FROM ledger")).ToList();
        var holds = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM budget_holds");
        Assert.Equal(("videos", Tollgate.Budgets.Money.ToPico(0.8m)), Assert.Single(rows));
        Assert.Equal(0, holds);
        Directory.Delete(dir, recursive: true);
    }

    private static HttpClient GatewayClient(Uri address, string key)
    {
        var client = new HttpClient { BaseAddress = address, Timeout = Wait };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static async Task<(string Used, string Reserved)> MemberSpendAsync(Uri address, string token, string orgId)
    {
        using var admin = new HttpClient { BaseAddress = address, Timeout = Wait };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var view = JsonDocument.Parse(await admin.GetStringAsync($"orgs/{orgId}/members/me/budget", TestContext.Current.CancellationToken).WaitAsync(Wait));
        var spend = view.RootElement.GetProperty("usage").GetProperty("spend");
        return (spend.GetProperty("used").GetString()!, spend.GetProperty("reserved").GetString()!);
    }

    private static async Task<JsonElement> PostAsync(HttpClient client, string path, object body)
    {
        var response = await client.PostAsJsonAsync(path, body, TestContext.Current.CancellationToken).WaitAsync(Wait);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {text}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }
}
