using System.Net;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Tollgate.Budgets;
using static Tollgate.Tests.Budgets.BudgetTestCalls;

namespace Tollgate.Tests.Gateway;

/// <summary><c>/v1/messages</c> and <c>/v1/messages/count_tokens</c> through the gateway to the Anthropic fake.</summary>
public sealed class MessagesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static AnthropicClient Sdk(GatewayTestHost host) => new(new ClientOptions
    {
        BaseUrl = host.Server.BaseAddress.ToString().TrimEnd('/'),
        ApiKey = host.Key,
        MaxRetries = 0,
        Timeout = Timeout,
        ResponseValidation = true,
    });

    // claude-test: $3 input, $15 output, $0.30 cache read, $3.75 cache write per million.
    private static long ExpectedPico(long input, long read, long write, long output) =>
        Money.ToPico(((input * 3m) + (read * 0.3m) + (write * 3.75m) + (output * 15m)) / 1_000_000m);

    private static StringContent Body(string text, bool stream = false, int maxTokens = 256) =>
        new(JsonSerializer.Serialize(new { model = "claude-test", max_tokens = maxTokens, stream, messages = new[] { new { role = "user", content = text } } }),
            Encoding.UTF8, "application/json");

    [Fact]
    public async Task Create_OfficialSdk_PassesThroughAndChargesTheCatalogPriceWithCacheTokens()
    {
        await using var host = await GatewayTestHost.StartAsync();

        var message = await Sdk(host).Messages.Create(new MessageCreateParams
        {
            MaxTokens = 256,
            Model = "claude-test",
            System = "Be brief.",
            Messages = [new UserMessageParam("What is 2+2? fake:cached_tokens=2 fake:cache_write_tokens=1")],
        }).WaitAsync(Timeout);

        Assert.Equal("claude-test", message.Model.Raw());
        Assert.Equal("tok0 tok1 tok2 tok3 tok4 ", string.Concat(message.Content.Select(c => c.Value).OfType<TextBlock>().Select(t => t.Text)));
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("messages", "anthropic", "claude-upstream", "ok"), (row.Endpoint, row.Provider, row.ProviderModel, row.Status));
        Assert.Equal((message.Usage.InputTokens, 2L, message.Usage.OutputTokens), (row.InputTokens, row.CachedInputTokens, row.OutputTokens));
        Assert.Equal(ExpectedPico(message.Usage.InputTokens, 2, 1, message.Usage.OutputTokens), row.CostPico);
        var upstream = host.Fake.Requests[^1];
        Assert.Equal("sk-ant-server-secret", upstream.Header("x-api-key"));
        Assert.False(string.IsNullOrEmpty(upstream.Header("anthropic-version")));
        Assert.Contains("\"model\":\"claude-upstream\"", upstream.Body, StringComparison.Ordinal);
        Assert.Contains("\"system\":\"Be brief.\"", upstream.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateStreaming_OfficialSdk_RelaysEveryEventAndChargesTheStreamedUsage()
    {
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Streaming:KeepAliveSeconds"] = "0.1" });
        var text = new StringBuilder();
        long? outputTokens = null;
        using var cts = new CancellationTokenSource(Timeout);

        await foreach (var update in Sdk(host).Messages.CreateStreaming(new MessageCreateParams
        {
            MaxTokens = 256,
            Model = "claude-test",
            Messages = [new UserMessageParam("Count fake:chunks=4 fake:chunk_delay_ms=150 fake:cached_tokens=1")],
        }, cts.Token))
        {
            if (update.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var piece))
            {
                text.Append(piece.Text);
            }
            else if (update.TryPickDelta(out var messageDelta))
            {
                outputTokens = messageDelta.Usage.OutputTokens;
            }
        }

        Assert.Equal("tok0 tok1 tok2 tok3 ", text.ToString());
        Assert.Equal(4, outputTokens);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.True(row.Streamed);
        Assert.Equal(("ok", 4L, 1L), (row.Status, row.OutputTokens, row.CachedInputTokens));
        Assert.Equal(ExpectedPico(row.InputTokens, 1, 0, 4), row.CostPico);
    }

    [Fact]
    public async Task RawHttp_XApiKeyHeader_IsAcceptedAndStreamsNameTheAskedModel()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = new HttpClient { BaseAddress = host.Server.BaseAddress };
        client.DefaultRequestHeaders.Add("x-api-key", host.Key);
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");

        var response = await client.PostAsync("v1/messages", Body("hi", stream: true), TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/event-stream", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        Assert.Contains("event: message_start", body, StringComparison.Ordinal);
        Assert.Contains("\"model\":\"claude-test\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("claude-upstream", body, StringComparison.Ordinal);
        Assert.EndsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", body, StringComparison.Ordinal);
        Assert.Equal("anthropic", response.Headers.GetValues("x-tollgate-provider").Single());
    }

    [Fact]
    public async Task BudgetSpent_DeniedBeforeTheProviderWithTheExactMessageInAnthropicFormat()
    {
        await using var host = await GatewayTestHost.StartAsync();
        await PutOkAsync(host, $"orgs/{host.OrgId}/members/{await MemberIdAsync(host)}/budget", """{"spend":{"type":"fixed","limit":"0"}}""");

        var ex = await Assert.ThrowsAnyAsync<AnthropicApiException>(() => Sdk(host).Messages.Create(new MessageCreateParams
        {
            MaxTokens = 16,
            Model = "claude-test",
            Messages = [new UserMessageParam("Hi")],
        }).WaitAsync(Timeout));

        Assert.Equal(HttpStatusCode.Forbidden, ex.StatusCode);
        using var error = JsonDocument.Parse(ex.ResponseBody);
        Assert.Equal("error", error.RootElement.GetProperty("type").GetString());
        var inner = error.RootElement.GetProperty("error");
        Assert.Equal("permission_error", inner.GetProperty("type").GetString());
        Assert.Equal(BudgetMessages.MemberFixed, inner.GetProperty("message").GetString());
        Assert.Equal("member_budget_exceeded", inner.GetProperty("code").GetString());
        Assert.Equal("fixed", inner.GetProperty("budget").GetProperty("cap").GetString());
        Assert.Empty(host.Fake.Requests);
    }

    [Fact]
    public async Task ErrorEventMidStream_EndsWithErrorThenMessageStop_AndThePartialUsageIsCharged()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.Server.CreateClient(host.Key);

        var response = await client.PostAsync("v1/messages", Body("fake:chunks=5 fake:error_after=2", stream: true), TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"text\":\"tok1 \"", body, StringComparison.Ordinal);
        var error = body.IndexOf("event: error\ndata: ", StringComparison.Ordinal);
        Assert.True(error > 0, body);
        Assert.EndsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", body, StringComparison.Ordinal);
        Assert.Contains("overloaded_error", body[error..], StringComparison.Ordinal);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal("failed", row.Status);
        Assert.True(row.CostPico > 0);
        Assert.True(row.InputTokens > 0);
    }

    [Fact]
    public async Task InvalidRequest_Is400InAnthropicFormatAndUnknownMessagesPathsToo()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.Server.CreateClient(host.Key);

        var missing = await client.PostAsync("v1/messages", new StringContent("""{"model":"claude-test","messages":[{"role":"user","content":"x"}]}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var unknown = await client.PostAsync("v1/messages/batches", new StringContent("{}", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        var error = (await JsonAsync(missing)).GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Contains("max_tokens", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("not_found_error", (await JsonAsync(unknown)).GetProperty("error").GetProperty("type").GetString());
        Assert.Empty(await host.LedgerAsync());
    }

    [Theory]
    [InlineData("claude-test", "anthropic")]
    [InlineData("fake-model", null)]
    public async Task CountTokens_IsAnsweredByAnthropicOrCountedHere_AndNeverBilled(string model, string? provider)
    {
        await using var host = await GatewayTestHost.StartAsync();
        var count = await Sdk(host).Messages.CountTokens(new MessageCountTokensParams
        {
            Model = model,
            Messages = [new UserMessageParam("How many tokens is this sentence, roughly?")],
        }).WaitAsync(Timeout);

        Assert.InRange(count.InputTokens, 5, 20);
        Assert.Empty(await host.LedgerAsync());
        Assert.Equal(provider is null ? 0 : 1, host.Fake.Requests.Count(r => r.Path.EndsWith("/count_tokens", StringComparison.Ordinal)));
    }
}
