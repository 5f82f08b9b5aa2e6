using System.Text.Json;
using Tollgate.Budgets;
using Tollgate.Tests.Gateway;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Node;

/// <summary>
/// The npm <c>@openai/codex</c> CLI run non-interactively (<c>codex exec</c>) against the gateway's
/// <c>/v1/responses</c> through a model provider of its own configuration, as a team would point it.
/// </summary>
public sealed class CodexTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private static async Task<ProcessResult> CodexAsync(GatewayTestHost host, string home, string prompt)
    {
        var codexHome = Directory.CreateDirectory(Path.Combine(home, ".codex")).FullName;
        var work = Directory.CreateDirectory(Path.Combine(home, "work")).FullName;
        await File.WriteAllTextAsync(Path.Combine(codexHome, "config.toml"), $"""
            model = "codex-agent"
            model_provider = "tollgate"

            [model_providers.tollgate]
            name = "Tollgate"
            base_url = "{host.GatewayV1}"
            env_key = "TOLLGATE_KEY"
            wire_api = "responses"
            request_max_retries = 0
            stream_max_retries = 0
            """, TestContext.Current.CancellationToken);
        return await NodeProcess.RunAsync(NodeProcess.Bin("codex"), ["exec", "--json", "--skip-git-repo-check", "--sandbox", "read-only", "--color", "never", prompt], new Dictionary<string, string>
        {
            ["HOME"] = home,
            ["CODEX_HOME"] = codexHome,
            ["XDG_CONFIG_HOME"] = Path.Combine(home, ".config"),
            ["TOLLGATE_KEY"] = host.Key,
            ["RUST_LOG"] = "error",
        }, work, Timeout);
    }

    private static List<JsonElement> Events(ProcessResult run) =>
        run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith('{'))
            .Select(l => { using var d = JsonDocument.Parse(l); return d.RootElement.Clone(); })
            .ToList();

    // codex-agent: $1.25 input, $10 output per million.
    private static long CodexAgentPico(long input, long output) => Money.ToPico(((input * 1.25m) + (output * 10m)) / 1_000_000m);

    [Fact]
    public async Task OneTurnWithAToolCall_ServedByTheFakes_BilledThenStoppedByTheBudget()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var home = Directory.CreateTempSubdirectory("tollgate-codex-").FullName;
        try
        {
            // The fake answers the first request with a call of the agent's view_image tool (a
            // path that does not exist: nothing runs, nothing is written), then the tool's output with text.
            var first = await CodexAsync(host, home, "Look at the picture. fake:tool_call=1 fake:tool_name=view_image");

            Assert.True(first.ExitCode == 0, first.ToString());
            var events = Events(first);
            var message = events.Single(e => e.Str("type") == "item.completed" && e.GetProperty("item").Str("type") == "agent_message");
            Assert.Equal("tok0 tok1 tok2 tok3 tok4 ", message.GetProperty("item").Str("text"));
            var usage = events.Single(e => e.Str("type") == "turn.completed").GetProperty("usage");
            var upstream = host.Fake.Requests.Where(r => r.Path.EndsWith("/v1/responses", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, upstream.Count);
            Assert.All(upstream, r => Assert.Equal("Bearer sk-server-openai-secret", r.Header("authorization")));
            using (var ask = JsonDocument.Parse(upstream[0].Body))
            {
                Assert.True(ask.RootElement.GetProperty("stream").GetBoolean());
                Assert.Contains("view_image", ask.RootElement.GetProperty("tools").EnumerateArray().Where(t => t.TryGetProperty("name", out _)).Select(t => t.Str("name")));
            }

            using (var answer = JsonDocument.Parse(upstream[1].Body))
            {
                var input = answer.RootElement.GetProperty("input").EnumerateArray().ToList();
                var call = input.Single(i => i.Str("type") == "function_call");
                Assert.Equal("view_image", call.Str("name"));
                Assert.Equal(call.Str("call_id"), input.Single(i => i.Str("type") == "function_call_output").Str("call_id"));
            }

            var rows = await host.LedgerAsync();
            Assert.Equal(2, rows.Count);
            Assert.All(rows, r => Assert.Equal(("responses", "codex-agent", "openai", "ok", true, host.KeyId), (r.Endpoint, r.Model, r.Provider, r.Status, r.Streamed, r.KeyId)));
            Assert.Equal((usage.Long("input_tokens"), usage.Long("output_tokens")), (rows.Sum(r => r.InputTokens), rows.Sum(r => r.OutputTokens)));
            Assert.All(rows, r => Assert.Equal(CodexAgentPico(r.InputTokens, r.OutputTokens), r.CostPico));

            // The member's budget is spent: the next run is refused before any provider call.
            await PutOkAsync(host, $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget", """{"spend":{"type":"fixed","limit":"0"}}""");
            var denied = await CodexAsync(host, home, "And now? fake:tool_call=1 fake:tool_name=view_image");

            Assert.True(denied.ExitCode != 0, denied.ToString());
            var failed = Events(denied).Single(e => e.Str("type") == "turn.failed");
            Assert.Contains("403 Forbidden: " + BudgetMessages.MemberFixed, failed.GetProperty("error").Str("message"), StringComparison.Ordinal);
            Assert.Equal(2, (await host.LedgerAsync()).Count);
            Assert.Equal(2, host.Fake.Requests.Count(r => r.Path.EndsWith("/v1/responses", StringComparison.Ordinal)));
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
