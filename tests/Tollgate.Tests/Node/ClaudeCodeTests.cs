using System.Text.Json;
using Tollgate.Budgets;
using Tollgate.Tests.Gateway;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Node;

/// <summary>
/// The npm <c>@anthropic-ai/claude-code</c> CLI run non-interactively (<c>claude -p</c>) with
/// <c>ANTHROPIC_BASE_URL</c> at the gateway and a Tollgate key, as a team would point it.
/// </summary>
public sealed class ClaudeCodeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private static async Task<ProcessResult> ClaudeAsync(GatewayTestHost host, string home, string prompt)
    {
        var work = Directory.CreateDirectory(Path.Combine(home, "work")).FullName;
        await File.WriteAllTextAsync(Path.Combine(work, "notes.txt"), "hello", TestContext.Current.CancellationToken);
        return await NodeProcess.RunAsync(NodeProcess.Bin("claude"), ["-p", prompt, "--output-format", "json", "--max-turns", "4"], new Dictionary<string, string>
        {
            ["HOME"] = home,
            ["CLAUDE_CONFIG_DIR"] = Path.Combine(home, ".claude"),
            ["XDG_CONFIG_HOME"] = Path.Combine(home, ".config"),
            ["ANTHROPIC_BASE_URL"] = host.Server.BaseAddress.ToString().TrimEnd('/'),
            ["ANTHROPIC_API_KEY"] = host.Key,
            ["ANTHROPIC_MODEL"] = "claude-agent",
            ["ANTHROPIC_SMALL_FAST_MODEL"] = "claude-agent",
            ["ANTHROPIC_DEFAULT_HAIKU_MODEL"] = "claude-agent",
            ["ANTHROPIC_DEFAULT_SONNET_MODEL"] = "claude-agent",
            ["ANTHROPIC_DEFAULT_OPUS_MODEL"] = "claude-agent",
            ["DISABLE_TELEMETRY"] = "1",
            ["DISABLE_ERROR_REPORTING"] = "1",
            ["DISABLE_AUTOUPDATER"] = "1",
            ["DISABLE_BUG_COMMAND"] = "1",
            ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
            ["CLAUDE_CODE_DISABLE_TERMINAL_TITLE"] = "1",
        }, work, Timeout);
    }

    [Fact]
    public async Task OneTurnWithAToolCall_ServedByTheFakes_BilledThenStoppedByTheBudget()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var home = Directory.CreateTempSubdirectory("tollgate-claude-").FullName;
        try
        {
            // The fake answers the first request with a call of the agent's Read tool (a path
            // inside the temp folder or nothing at all), then the tool result with text.
            var first = await ClaudeAsync(host, home, "What is in notes.txt? fake:tool_call=1 fake:tool_name=Read");

            Assert.True(first.ExitCode == 0, first.ToString());
            var result = first.Json();
            Assert.Equal(("result", "success", false), (result.Str("type"), result.Str("subtype"), result.GetProperty("is_error").GetBoolean()));
            Assert.Equal("tok0 tok1 tok2 tok3 tok4 ", result.Str("result"));
            Assert.Equal(2, result.Long("num_turns"));
            var upstream = host.Fake.Requests.Where(r => r.Path.EndsWith("/v1/messages", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, upstream.Count);
            Assert.All(upstream, r => Assert.Equal("sk-ant-server-secret", r.Header("x-api-key")));
            Assert.All(upstream, r => Assert.Contains("\"model\":\"claude-upstream\"", r.Body, StringComparison.Ordinal));
            using (var ask = JsonDocument.Parse(upstream[0].Body))
            {
                Assert.Contains("Read", ask.RootElement.GetProperty("tools").EnumerateArray().Select(t => t.Str("name")));
                Assert.True(ask.RootElement.GetProperty("stream").GetBoolean());
            }

            using (var answer = JsonDocument.Parse(upstream[1].Body))
            {
                var messages = answer.RootElement.GetProperty("messages").EnumerateArray().ToList();
                var call = messages[^2].GetProperty("content").EnumerateArray().Single(b => b.Str("type") == "tool_use");
                Assert.Equal("Read", call.Str("name"));
                var toolResult = messages[^1].GetProperty("content").EnumerateArray().Single(b => b.Str("type") == "tool_result");
                Assert.Equal(call.Str("id"), toolResult.Str("tool_use_id"));
            }

            var rows = await host.LedgerAsync();
            Assert.Equal(2, rows.Count);
            Assert.All(rows, r => Assert.Equal(("messages", "claude-agent", "anthropic", "ok", true, host.KeyId), (r.Endpoint, r.Model, r.Provider, r.Status, r.Streamed, r.KeyId)));
            var usage = result.GetProperty("usage");
            Assert.Equal((usage.Long("input_tokens"), usage.Long("output_tokens")), (rows.Sum(r => r.InputTokens), rows.Sum(r => r.OutputTokens)));
            Assert.All(rows, r => Assert.Equal(NpmSdkRun.ClaudeTestPico(r.InputTokens, r.OutputTokens), r.CostPico));

            // The member's budget is spent: the next run is refused before any provider call.
            await PutOkAsync(host, $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget", """{"spend":{"type":"fixed","limit":"0"}}""");
            var denied = await ClaudeAsync(host, home, "And now? fake:tool_call=1 fake:tool_name=Read");

            Assert.True(denied.ExitCode != 0, denied.ToString());
            var refusal = denied.Json();
            Assert.True(refusal.GetProperty("is_error").GetBoolean(), denied.ToString());
            Assert.Equal((403L, "permission_error"), (refusal.Long("api_error_status"), refusal.Str("api_error_type")));
            Assert.Contains("403 " + BudgetMessages.MemberFixed, refusal.Str("result"), StringComparison.Ordinal);
            Assert.Equal(2, (await host.LedgerAsync()).Count);
            Assert.Equal(2, host.Fake.Requests.Count(r => r.Path.EndsWith("/v1/messages", StringComparison.Ordinal)));
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
