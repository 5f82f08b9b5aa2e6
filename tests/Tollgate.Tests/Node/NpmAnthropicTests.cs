using Tollgate.Tests.Gateway;

namespace Tollgate.Tests.Node;

/// <summary>The npm <c>@anthropic-ai/sdk</c> package (run with node) against the gateway's <c>/v1/messages</c>.</summary>
public sealed class NpmAnthropicTests
{
    [Fact]
    public async Task Messages_Plain_ReadByTheSdkAndBilledOnce()
    {
        await using var host = await GatewayTestHost.StartAsync();

        var r = await NpmSdkRun.CaseAsync(host, "messages");

        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.Equal(("claude-test", "tok0 tok1 tok2 tok3 tok4 ", "end_turn"), (r.Str("model"), r.Str("text"), r.Str("stop")));
        var usage = r.GetProperty("usage");
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("messages", "anthropic", "ok"), (row.Endpoint, row.Provider, row.Status));
        Assert.Equal((usage.Long("input_tokens"), usage.Long("output_tokens")), (row.InputTokens, row.OutputTokens));
        Assert.Equal(NpmSdkRun.ClaudeTestPico(row.InputTokens, row.OutputTokens), row.CostPico);
        Assert.Contains("\"system\":\"Be brief.\"", host.Fake.Requests[^1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Messages_Streamed_WithKeepAlivesMidStream_FinalMessageAndBilledOnce()
    {
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Streaming:KeepAliveSeconds"] = "0.1" });

        var r = await NpmSdkRun.CaseAsync(host, "messages-stream");

        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.Equal(("claude-test", "tok0 tok1 tok2 tok3 ", "end_turn"), (r.Str("model"), r.Str("text"), r.Str("stop")));
        Assert.True(r.Long("pings") >= 3, r.ToString());
        Assert.Equal(4, r.GetProperty("usage").Long("output_tokens"));
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("ok", true, 4L), (row.Status, row.Streamed, row.OutputTokens));
        Assert.Equal(NpmSdkRun.ClaudeTestPico(row.InputTokens, 4), row.CostPico);
    }

    [Fact]
    public async Task Messages_ErrorEventMidStream_SdkRaisesOverloadedAfterThePartialText_AndThePartIsCharged()
    {
        await using var host = await GatewayTestHost.StartAsync();

        var r = await NpmSdkRun.CaseAsync(host, "messages-error");

        Assert.False(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.Equal("tok0 tok1 ", r.Str("partialText"));
        Assert.Contains("overloaded_error", r.GetProperty("error").Str("message"), StringComparison.Ordinal);
        var row = Assert.Single(await host.WaitForLedgerAsync(1));
        Assert.Equal("failed", row.Status);
        Assert.True(row.CostPico > 0, row.ToString());
    }

    [Fact]
    public async Task CountTokens_AnsweredAndNeverBilled()
    {
        await using var host = await GatewayTestHost.StartAsync();

        var r = await NpmSdkRun.CaseAsync(host, "count-tokens");

        Assert.True(r.GetProperty("ok").GetBoolean(), r.ToString());
        Assert.InRange(r.Long("inputTokens"), 5, 20);
        Assert.Empty(await host.LedgerAsync());
        Assert.Single(host.Fake.Requests, q => q.Path.EndsWith("/count_tokens", StringComparison.Ordinal));
    }
}
