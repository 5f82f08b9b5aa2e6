using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Tollgate.Hosting;

// Usage: PipelineCpu <fake provider base URL> [requests per round] [rounds] [concurrency] [json|stream]
// The fake provider (tools/FakeProviders) runs in its own process, so only the gateway's own work,
// and its client side of the upstream call, is counted.
var fake = args.Length > 0 ? args[0] : "http://127.0.0.1:19001";
var perRound = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5000;
var rounds = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5;
var concurrency = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 4;
var stream = args.Length > 4 && args[4] == "stream";

var work = Directory.CreateTempSubdirectory("tollgate-pipeline-cpu");
try
{
    var catalog = Path.Combine(work.FullName, "catalog.json");
    await File.WriteAllTextAsync(catalog, """
        {"models":[{"id":"bench-model","name":"Bench","kind":"chat","maxOutputTokens":1000,
          "providers":[{"provider":"openai","providerModelId":"bench-upstream",
            "prices":[{"inputPerMillion":"2.5","outputPerMillion":"10"}]}]}]}
        """);
    string[] config =
    [
        $"--Tollgate:Database:ConnectionString=Data Source={Path.Combine(work.FullName, "tollgate.db")}",
        $"--Tollgate:Catalog:Path={catalog}",
        $"--Tollgate:Providers:openai:BaseUrl={fake}/openai/v1",
        "--Tollgate:Providers:openai:ApiKey=bench-upstream-key",
        "--Logging:LogLevel:Default=Warning",
    ];
    await using var app = TollgateApp.Build(config, builder => builder.WebHost.UseTestServer());
    await app.StartAsync();
    using var http = app.GetTestClient();

    async Task<JsonElement> Post(string path, object body, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {text}");
        }

        return JsonDocument.Parse(text).RootElement.Clone();
    }

    await Post("/auth/signup", new { email = "bench@example.com", password = "bench-password", name = "Bench" });
    var token = (await Post("/auth/login", new { email = "bench@example.com", password = "bench-password" })).GetProperty("token").GetString()!;
    var org = (await Post("/orgs", new { name = "Bench" }, token)).GetProperty("id").GetString()!;
    var project = (await Post($"/orgs/{org}/projects", new { name = "bench" }, token)).GetProperty("id").GetString()!;
    var key = (await Post($"/orgs/{org}/keys", new { projectId = project, name = "bench" }, token)).GetProperty("key").GetString()!;

    var body = Encoding.UTF8.GetBytes(stream
        ? """{"model":"bench-model","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Tell me something short about toll gates."}]}"""
        : """{"model":"bench-model","max_tokens":64,"messages":[{"role":"user","content":"Tell me something short about toll gates."}]}""");
    async Task Chat()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.SendAsync(request);
        await response.Content.CopyToAsync(Stream.Null);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"chat: {(int)response.StatusCode}");
        }
    }

    async Task Run(int count)
    {
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= count)
            {
                await Chat();
            }
        }));
    }

    await Run(perRound * 2); // tiering and the thread pool settle first
    var process = Process.GetCurrentProcess();
    var results = new List<(double Cpu, double Bytes)>();
    for (var round = 1; round <= rounds; round++)
    {
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var bytes = GC.GetTotalAllocatedBytes(precise: false);
        await Run(perRound);
        process.Refresh();
        var cpuPerRequest = (process.TotalProcessorTime - cpu).TotalMicroseconds / perRound;
        var bytesPerRequest = (GC.GetTotalAllocatedBytes(precise: false) - bytes) / (double)perRound;
        results.Add((cpuPerRequest, bytesPerRequest));
        Console.WriteLine($"round {round}: {cpuPerRequest:F1} µs CPU, {bytesPerRequest:F0} bytes allocated per request");
    }

    var cpus = results.Select(r => r.Cpu).Order().ToArray();
    var allocations = results.Select(r => r.Bytes).Order().ToArray();
    Console.WriteLine($"median: {cpus[cpus.Length / 2]:F1} µs CPU, {allocations[allocations.Length / 2]:F0} bytes per request ({Environment.ProcessorCount} cores, concurrency {concurrency}, {(stream ? "stream" : "json")})");
    await app.StopAsync();
}
finally
{
    work.Delete(recursive: true);
}
