using Tollgate.Budgets;
using Tollgate.Tests.Gateway;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Node;

/// <summary>The npm <c>openai</c> package (run with node) against the gateway: chat completions and responses.</summary>
public sealed class NpmOpenAITests
{
    private static readonly Dictionary<string, string?> FastKeepAlive = new() { ["Tollgate:Streaming:KeepAliveSeconds"] = "0.1" };

    [Fact]
    public async Task Chat_Plain_ReadByTheSdkAndBilledOnce()
    {
        await using var host = await GatewayTestHost.StartAsync();

        var r = await NpmSdkRun.CaseAsync(host, "chat");

        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.Equal(("fake-model", "tok0 tok1 tok2 tok3 tok4 ", "stop"), (r.Str("model"), r.Str("text"), r.Str("finish")));
        var usage = r.GetProperty("usage");
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("chat.completions", "ok", false), (row.Endpoint, row.Status, row.Streamed));
        Assert.Equal((usage.Long("prompt_tokens"), usage.Long("completion_tokens")), (row.InputTokens, row.OutputTokens));
        Assert.Equal(NpmSdkRun.FakeModelPico(row.InputTokens, row.OutputTokens), row.CostPico);
    }

    [Fact]
    public async Task Chat_Streamed_WithKeepAlivesMidStream_ParsedAndBilledOnce()
    {
        await using var host = await GatewayTestHost.StartAsync(settings: FastKeepAlive);

        var r = await NpmSdkRun.CaseAsync(host, "chat-stream");

        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.Equal(("fake-model", "tok0 tok1 tok2 tok3 ", "stop"), (r.Str("model"), r.Str("text"), r.Str("finish")));
        Assert.True(r.Long("pings") >= 3, r.ToString());
        var usage = r.GetProperty("usage");
        Assert.Equal(4, usage.Long("completion_tokens"));
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("ok", true, 4L), (row.Status, row.Streamed, row.OutputTokens));
        Assert.Equal(NpmSdkRun.FakeModelPico(usage.Long("prompt_tokens"), 4), row.CostPico);
    }

    [Fact]
    public async Task Chat_StreamCutMidway_SdkRaisesTheGatewayErrorAfterThePartialText_AndThePartIsCharged()
    {
        await using var host = await GatewayTestHost.StartAsync();

        var r = await NpmSdkRun.CaseAsync(host, "chat-cut");

        Assert.False(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.Equal("tok0 tok1 ", r.Str("partialText"));
        var error = r.GetProperty("error");
        Assert.Equal("APIError", error.Str("name"));
        // The gateway's final error chunk (gateway.md "Failure mid-stream"), raised by the SDK's stream reader.
        Assert.Equal("upstream_error", error.Str("type"));
        Assert.StartsWith("The provider 'openai' ", error.Str("message"), StringComparison.Ordinal);
        var row = Assert.Single(await host.WaitForLedgerAsync(1));
        Assert.Equal("failed", row.Status);
        Assert.True(row.Streamed);
        Assert.True(row.CostPico > 0, row.ToString());
    }

    [Fact]
    public async Task Responses_PlainThenRetrieved_BilledOnceAtTheCatalogPrice()
    {
        await using var host = await GatewayTestHost.StartAsync();

        var r = await NpmSdkRun.CaseAsync(host, "responses");

        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.Equal(("fake-model", "completed", "tok0 tok1 tok2 tok3 tok4 "), (r.Str("model"), r.Str("status"), r.Str("text")));
        Assert.Equal(r.Str("text"), r.Str("retrieved"));
        var usage = r.GetProperty("usage");
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("responses", "ok"), (row.Endpoint, row.Status));
        Assert.Equal((usage.Long("input_tokens"), usage.Long("output_tokens")), (row.InputTokens, row.OutputTokens));
        Assert.Equal(NpmSdkRun.FakeModelPico(row.InputTokens, row.OutputTokens), row.CostPico);
    }

    [Fact]
    public async Task Responses_Streamed_WithKeepAlives_EndsCompletedAndBilledOnce()
    {
        await using var host = await GatewayTestHost.StartAsync(settings: FastKeepAlive);

        var r = await NpmSdkRun.CaseAsync(host, "responses-stream");

        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.Equal(("tok0 tok1 tok2 tok3 ", "completed", "fake-model"), (r.Str("text"), r.Str("status"), r.Str("model")));
        Assert.Equal(("response.created", "response.completed"), (r.Str("first"), r.Str("last")));
        Assert.True(r.Long("pings") >= 3, r.ToString());
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("responses", "ok", true), (row.Endpoint, row.Status, row.Streamed));
        Assert.Equal(r.GetProperty("usage").Long("output_tokens"), row.OutputTokens);
        Assert.Equal(NpmSdkRun.FakeModelPico(row.InputTokens, row.OutputTokens), row.CostPico);
    }

    [Fact]
    public async Task BudgetSpent_EveryNpmSdkCallSurfacesThe403WithTheExactMessage_NothingReachesTheProvider()
    {
        await using var host = await GatewayTestHost.StartAsync();
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget", """{"spend":{"type":"fixed","limit":"0"}}""");

        var r = await NpmSdkRun.CaseAsync(host, "denials");

        foreach (var call in new[] { "chat", "chatStream", "responses", "messages", "messagesStream" })
        {
            var outcome = r.GetProperty(call);
            Assert.False(outcome.GetProperty("ok").GetBoolean(), call + ": " + outcome);
            var error = outcome.GetProperty("error");
            Assert.Equal(403, error.Long("status"));
            Assert.Contains(BudgetMessages.MemberFixed, error.Str("message"), StringComparison.Ordinal);
        }

        Assert.Empty(host.Fake.Requests);
        Assert.Empty(await host.LedgerAsync());
    }
}
