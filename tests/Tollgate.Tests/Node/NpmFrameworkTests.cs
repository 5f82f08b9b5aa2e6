using System.Text.Json;
using Tollgate.Tests.Gateway;

namespace Tollgate.Tests.Node;

/// <summary>
/// The application frameworks teams build on, run with node against the gateway (<c>tests/node/frameworks.mjs</c>):
/// the Vercel AI SDK (<c>ai</c> with <c>@ai-sdk/openai</c> and <c>@ai-sdk/anthropic</c>) and LangChain JS
/// (<c>@langchain/openai</c>, <c>@langchain/anthropic</c>). Each reads the answer, plain or streamed, and the
/// usage it reports is the ledger's row, billed once at the catalog price.
/// </summary>
public sealed class NpmFrameworkTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Case, the ledger's endpoint, the provider that serves it, streamed.</summary>
    public static TheoryData<string, string, string, bool> Cases => new()
    {
        { "ai-chat", "chat.completions", "openai", false },
        { "ai-chat-stream", "chat.completions", "openai", true },
        { "ai-responses", "responses", "openai", false },
        { "ai-responses-stream", "responses", "openai", true },
        { "ai-messages", "messages", "anthropic", false },
        { "ai-messages-stream", "messages", "anthropic", true },
        { "langchain-chat", "chat.completions", "openai", false },
        { "langchain-chat-stream", "chat.completions", "openai", true },
        { "langchain-messages", "messages", "anthropic", false },
        { "langchain-messages-stream", "messages", "anthropic", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Framework_ReadsTheAnswer_AndItsUsageIsTheLedgerRow(string name, string endpoint, string provider, bool streamed)
    {
        await using var host = await GatewayTestHost.StartAsync();

        var r = await RunAsync(host, name);

        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        // The fake answers five tokens, or four when the prompt asks (streamed cases ask, so the text is the stream's).
        Assert.Equal(streamed ? "tok0 tok1 tok2 tok3 " : "tok0 tok1 tok2 tok3 tok4 ", r.Str("text"));
        var row = Assert.Single(await host.WaitForLedgerAsync(1));
        Assert.Equal((endpoint, provider, "ok", streamed), (row.Endpoint, row.Provider, row.Status, row.Streamed));
        Assert.Equal((r.Long("inputTokens"), r.Long("outputTokens")), (row.InputTokens, row.OutputTokens));
        var price = provider == "anthropic" ? NpmSdkRun.ClaudeTestPico(row.InputTokens, row.OutputTokens) : NpmSdkRun.FakeModelPico(row.InputTokens, row.OutputTokens);
        Assert.Equal(price, row.CostPico);
    }

    [Fact]
    public async Task BudgetSpent_EachFrameworkRaisesThe403_NothingReachesTheProvider()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using (var owner = host.Server.CreateClient(host.Token))
        using (var cts = new CancellationTokenSource(Timeout))
        using (var put = await owner.PutAsync($"orgs/{host.OrgId}/keys/{host.KeyId}/budget",
            new StringContent("""{"spend":{"type":"fixed","limit":"0"}}""", System.Text.Encoding.UTF8, "application/json"), cts.Token))
        {
            put.EnsureSuccessStatusCode();
        }

        var r = await RunAsync(host, "denials");

        foreach (var call in r.EnumerateObject())
        {
            Assert.False(call.Value.GetProperty("ok").GetBoolean(), $"{call.Name}: {call.Value}");
            var error = call.Value.GetProperty("error");
            Assert.True(error.GetProperty("status").ValueKind == JsonValueKind.Number && error.GetProperty("status").GetInt32() == 403, $"{call.Name}: {error}");
            Assert.Contains("budget", error.Str("message"), StringComparison.OrdinalIgnoreCase);
        }

        Assert.True(r.EnumerateObject().Count() >= 4, r.ToString());
        Assert.Empty(host.Fake.Requests);
        Assert.Empty(await host.LedgerAsync());
    }

    private static async Task<JsonElement> RunAsync(GatewayTestHost host, string name)
    {
        var result = await NodeProcess.NodeAsync("frameworks.mjs", [name], new Dictionary<string, string>
        {
            ["TOLLGATE_BASE_URL"] = host.Server.BaseAddress.ToString().TrimEnd('/'),
            ["TOLLGATE_KEY"] = host.Key,
        }, Timeout);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Json();
    }
}
