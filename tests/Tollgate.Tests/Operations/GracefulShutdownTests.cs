using System.Net;
using System.Text;
using Dapper;
using Npgsql;
using Tollgate.FakeProviders;
using Tollgate.Storage;
using Tollgate.Tests.Gateway;
using Tollgate.Tests.Infrastructure;

namespace Tollgate.Tests.Operations;

/// <summary>
/// SIGTERM on a real server process mid-stream: requests that finish within the drain finish as usual,
/// streams still running at its end get their endpoint's terminal events, every attempt is in the
/// ledger, no hold is left, and the process exits 0.
/// </summary>
public sealed class GracefulShutdownTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Sigterm_MidStream_DrainsThenEndsStreamsWithTerminalEvents_SettlesAndReleasesEverything()
    {
        await using var fake = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        var dir = Path.Combine(Path.GetTempPath(), "tollgate-shutdown-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var catalogPath = Path.Combine(dir, "catalog.json");
        await File.WriteAllTextAsync(catalogPath, GatewayTestHost.CatalogJson);
        // PostgreSQL: holds are rows there (budget_holds), so "no hold left" is something to look at.
        var connectionString = await TestDatabases.NewConnectionStringAsync(DbDialect.Postgres);

        await using var server = await ServerProcess.StartAsync(
        [
            "--Tollgate:Database:Provider=postgres",
            $"--Tollgate:Database:ConnectionString={connectionString}",
            $"--Tollgate:Catalog:Path={catalogPath}",
            $"--Tollgate:Providers:openai:BaseUrl={fake.OpenAIBaseUrl("openai")}",
            "--Tollgate:Providers:openai:ApiKey=sk-shutdown-openai",
            $"--Tollgate:Providers:anthropic:BaseUrl={fake.AnthropicBaseUrl()}",
            "--Tollgate:Providers:anthropic:ApiKey=sk-ant-shutdown",
            "--Tollgate:Shutdown:DrainSeconds=4",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Tollgate.Operations=Information",
        ]).WaitAsync(Timeout);
        var (_, orgId, key) = await server.CreateOrgWithKeyAsync().WaitAsync(Timeout);
        using var client = server.Client(key, Timeout);

        // :: Three streams far longer than the drain (one per endpoint format), and one that ends within it.
        const string slow = "fake:chunks=1000 fake:chunk_delay_ms=100";
        var chat = await OpenStreamAsync(client, "v1/chat/completions",
            $$"""{"model":"fake-model","stream":true,"messages":[{"role":"user","content":"{{slow}}"}]}""");
        var messages = await OpenStreamAsync(client, "v1/messages",
            $$"""{"model":"claude-test","max_tokens":1000,"stream":true,"messages":[{"role":"user","content":"{{slow}}"}]}""");
        var responses = await OpenStreamAsync(client, "v1/responses",
            $$"""{"model":"fake-model","stream":true,"input":"{{slow}}"}""");
        var quick = await OpenStreamAsync(client, "v1/chat/completions",
            """{"model":"fake-model","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"fake:chunks=8 fake:chunk_delay_ms=150"}]}""");

        await server.TerminateAsync();

        var quickText = await quick.ReadToEndAsync().WaitAsync(Timeout);
        var chatText = await chat.ReadToEndAsync().WaitAsync(Timeout);
        var messagesText = await messages.ReadToEndAsync().WaitAsync(Timeout);
        var responsesText = await responses.ReadToEndAsync().WaitAsync(Timeout);
        await server.Process.WaitForExitAsync().WaitAsync(Timeout);

        // :: The client sees a proper end on every stream.
        Assert.DoesNotContain("server_shutting_down", quickText, StringComparison.Ordinal);
        Assert.Contains("\"finish_reason\":\"stop\"", quickText, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]", quickText.TrimEnd(), StringComparison.Ordinal);

        Assert.Contains("server_shutting_down", chatText, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]", chatText.TrimEnd(), StringComparison.Ordinal);

        Assert.Contains("event: error", messagesText, StringComparison.Ordinal);
        Assert.Contains("server_shutting_down", messagesText, StringComparison.Ordinal);
        Assert.Contains("event: message_stop", messagesText, StringComparison.Ordinal);

        Assert.Contains("event: response.failed", responsesText, StringComparison.Ordinal);
        Assert.Contains("server_shutting_down", responsesText, StringComparison.Ordinal);

        Assert.Equal(0, server.Process.ExitCode);
        Assert.Contains(server.Lines, l => l.Contains("Shutting down", StringComparison.Ordinal));

        // :: The ledger: one row per request, the finished one exactly as the provider reported it.
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var rows = (await connection.QueryAsync<(string Endpoint, string Status, long InputTokens, long OutputTokens, long CostPico, bool UsageEstimated, string? Error)>(
            "SELECT endpoint, status, input_tokens, output_tokens, cost_pico, usage_estimated, error FROM ledger WHERE org_id = @orgId ORDER BY started_at",
            new { orgId })).ToList();
        Assert.Equal(4, rows.Count);
        var finished = Assert.Single(rows, r => r.Status == "ok");
        var usage = UsageOf(quickText);
        Assert.Equal(usage.Prompt, finished.InputTokens);
        Assert.Equal(usage.Completion, finished.OutputTokens);
        Assert.False(finished.UsageEstimated);
        // fake-model: $2.5 in, $10 out per million tokens = 2,500,000 and 10,000,000 pico-dollars per token.
        Assert.Equal(usage.Prompt * 2_500_000 + usage.Completion * 10_000_000, finished.CostPico);
        var cut = rows.Where(r => r.Status != "ok").ToList();
        Assert.Equal(3, cut.Count);
        Assert.All(cut, r =>
        {
            Assert.Equal("server shutting down", r.Error);
            Assert.True(r.CostPico > 0, "what a cut stream produced is charged");
        });

        // :: Every hold was released through the normal path before exit.
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM budget_holds"));
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>Posts a streaming request and returns its body once the first event has arrived.</summary>
    private static async Task<StreamReader> OpenStreamAsync(HttpClient client, string path, string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("anthropic-version", "2023-06-01");
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        // Content is flowing (not only a keepalive) before the signal.
        while (await reader.ReadLineAsync().WaitAsync(Timeout) is { } line)
        {
            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                break;
            }
        }

        return reader;
    }

    private static (long Prompt, long Completion) UsageOf(string sse)
    {
        foreach (var line in sse.Split('\n'))
        {
            if (line.StartsWith("data: {", StringComparison.Ordinal) && line.Contains("\"usage\":{", StringComparison.Ordinal))
            {
                using var doc = System.Text.Json.JsonDocument.Parse(line["data: ".Length..]);
                var usage = doc.RootElement.GetProperty("usage");
                return (usage.GetProperty("prompt_tokens").GetInt64(), usage.GetProperty("completion_tokens").GetInt64());
            }
        }

        throw new InvalidOperationException("The stream carried no usage: " + sse);
    }
}
