using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Dapper;
using Tollgate.FakeProviders;
using Tollgate.Storage;
using Tollgate.Tests.Gateway;

namespace Tollgate.Tests.Budgets;

/// <summary>The ledger is the truth across a kill -9 of the server process.</summary>
public sealed class CrashRecoveryTests
{
    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// Starts the real server as its own process (the test kills it), on 127.0.0.1, on the SQLite file
    /// <paramref name="dbPath"/>; <paramref name="settings"/> are more <c>--Key=Value</c> arguments (a later one wins).
    /// </summary>
    internal static async Task<(Process Process, Uri Address)> StartServerProcessAsync(string dbPath, string catalogPath, string fakeUrl, params string[] settings)
    {
        var port = FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "Tollgate.dll");
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            dll, "--urls", $"http://127.0.0.1:{port}",
            $"--Tollgate:Database:ConnectionString=Data Source={dbPath}",
            $"--Tollgate:Catalog:Path={catalogPath}",
            $"--Tollgate:Providers:openai:BaseUrl={fakeUrl}",
            "--Tollgate:Providers:openai:ApiKey=sk-crash-test",
            "--Logging:LogLevel:Default=Warning",
        }.Concat(settings))
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var address = new Uri($"http://127.0.0.1:{port}/");
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if ((await probe.GetAsync("health")).IsSuccessStatusCode)
                {
                    return (process, address);
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        process.Kill(entireProcessTree: true);
        throw new TimeoutException("The server process did not become healthy.");
    }

    private static async Task<JsonElement> PostAsync(HttpClient client, string path, object body)
    {
        var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {text}");
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task KillDashNineMidLoad_NoCompletedChargeIsLostOrCountedTwice()
    {
        await using var fake = await FakeProviderServer.StartAsync(new FakeOptions { LatencyMs = 5 });
        var dir = Path.Combine(Path.GetTempPath(), "tollgate-crash-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var dbPath = Path.Combine(dir, "tollgate.db");
        var catalogPath = Path.Combine(dir, "catalog.json");
        await File.WriteAllTextAsync(catalogPath, GatewayTestHost.CatalogJson);

        var (first, address) = await StartServerProcessAsync(dbPath, catalogPath, fake.OpenAIBaseUrl("openai"));
        string token, orgId, key, memberId;
        var clientOk = 0;
        try
        {
            using var admin = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
            var email = $"crash-{Guid.NewGuid():N}@example.test";
            await PostAsync(admin, "auth/signup", new { email, password = "crash-test-password", name = "Crash" });
            token = (await PostAsync(admin, "auth/login", new { email, password = "crash-test-password" })).GetProperty("token").GetString()!;
            admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            orgId = (await PostAsync(admin, "orgs", new { name = "Crash" })).GetProperty("id").GetString()!;
            var projectId = (await PostAsync(admin, $"orgs/{orgId}/projects", new { name = "p" })).GetProperty("id").GetString()!;
            key = (await PostAsync(admin, $"orgs/{orgId}/keys", new { projectId, name = "k" })).GetProperty("key").GetString()!;
            using var me = JsonDocument.Parse(await admin.GetStringAsync("me"));
            memberId = me.RootElement.GetProperty("memberships")[0].GetProperty("memberId").GetString()!;

            // :: Load: 16 loops of requests; the process is killed while they run.
            using var stop = new CancellationTokenSource();
            var loops = Enumerable.Range(0, 16).Select(async _ =>
            {
                using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
                client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        var response = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("fake-model", "crash me"), stop.Token);
                        var body = await response.Content.ReadAsStringAsync(stop.Token);
                        if (response.StatusCode == HttpStatusCode.OK && body.Contains("chat.completion", StringComparison.Ordinal))
                        {
                            Interlocked.Increment(ref clientOk);
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                    {
                        if (stop.IsCancellationRequested)
                        {
                            break;
                        }

                        await Task.Delay(20);
                    }
                }
            }).ToList();
            // Kill once the load is well under way (a count, not a time: a busy machine is slower).
            var loadDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (Volatile.Read(ref clientOk) < 50 && DateTime.UtcNow < loadDeadline && !first.HasExited)
            {
                await Task.Delay(20);
            }

            first.Kill(); // SIGKILL: no graceful shutdown, no flush
            await first.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            stop.Cancel();
            await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!first.HasExited)
            {
                first.Kill();
            }
        }

        // :: After the crash: the ledger against the client's and the provider's own counts.
        var providerCompleted = fake.Stats.Completed;
        await using var db = new Database(DbDialect.Sqlite, $"Data Source={dbPath}");
        await using var connection = await db.OpenAsync();
        var okRows = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM ledger WHERE status = 'ok'");
        var distinctRequests = await connection.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT request_id) FROM ledger");
        var rows = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM ledger");
        var charged = await connection.ExecuteScalarAsync<long>("SELECT COALESCE(SUM(cost_pico), 0) FROM ledger");

        Assert.True(clientOk > 20, $"the load did not run: {clientOk} answers");
        Assert.True(okRows >= clientOk, $"an answer the client received was not charged: {okRows} rows < {clientOk} answers");
        Assert.True(okRows <= providerCompleted, $"charged more than the provider completed: {okRows} > {providerCompleted}");
        Assert.True(providerCompleted - okRows <= 16, $"{providerCompleted - okRows} completed requests are missing (16 were in flight)");
        Assert.Equal(rows, distinctRequests); // one attempt each: nothing counted twice

        // :: Restart on the same database: counters are rebuilt from the ledger.
        var (second, address2) = await StartServerProcessAsync(dbPath, catalogPath, fake.OpenAIBaseUrl("openai"));
        try
        {
            using var admin = new HttpClient { BaseAddress = address2, Timeout = TimeSpan.FromSeconds(30) };
            admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var view = JsonDocument.Parse(await admin.GetStringAsync($"orgs/{orgId}/members/{memberId}/budget"));
            var usage = view.RootElement.GetProperty("usage").GetProperty("spend");
            Assert.Equal(Tollgate.Budgets.Money.ToWire(charged), usage.GetProperty("used").GetString());
            Assert.Equal("0", usage.GetProperty("reserved").GetString());
        }
        finally
        {
            second.Kill();
            await second.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Directory.Delete(dir, recursive: true);
        }
    }
}
