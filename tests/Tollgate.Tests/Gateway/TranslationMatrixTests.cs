using System.Net;
using System.Text;
using System.Text.Json;
using Tollgate.Budgets;

using static Tollgate.Tests.Gateway.TranslationRequests;

namespace Tollgate.Tests.Gateway;

/// <summary>
/// Every chat endpoint reaches providers of the other formats through translation, plain and
/// streamed, with tools and an image, billed once at the answering provider's price.
/// </summary>
public sealed class TranslationMatrixTests
{
    public static TheoryData<string, string, bool> Pairs => new()
    {
        // endpoint, model (its provider speaks another format), stream
        { "chat", "claude-test", false },
        { "chat", "claude-test", true },
        { "messages", "fake-model", false },
        { "messages", "fake-model", true },
        { "responses", "claude-test", false },
        { "responses", "claude-test", true },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task Endpoint_ToAProviderOfAnotherFormat_AnswersInTheClientsFormatAndBillsOnce(string endpoint, string model, bool stream)
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();
        var (path, body) = Content(endpoint, model, stream, "Count to three fake:chunks=3");

        var response = await client.PostAsync(path, body, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var upstream = host.Fake.Requests[^1];
        Assert.Equal(model == "claude-test" ? "/anthropic/v1/messages" : "/openai/v1/chat/completions", upstream.Path);
        Assert.Contains("Be brief.", upstream.Body, StringComparison.Ordinal);
        Assert.Contains("get_weather", upstream.Body, StringComparison.Ordinal);
        Assert.Contains("iVBORw0KGgo", upstream.Body, StringComparison.Ordinal);
        Assert.Contains(model == "claude-test" ? "claude-upstream" : "fake-upstream-model", upstream.Body, StringComparison.Ordinal);
        Assert.Contains("tok0", text, StringComparison.Ordinal);
        Assert.Contains("tok2", text, StringComparison.Ordinal);
        Assert.DoesNotContain(model == "claude-test" ? "claude-upstream" : "fake-upstream-model", text, StringComparison.Ordinal);
        if (stream)
        {
            Assert.EndsWith(endpoint switch { "chat" => "data: [DONE]\n\n", "messages" => "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", _ => "\n\n" }, text, StringComparison.Ordinal);
            if (endpoint == "responses")
            {
                Assert.Contains("event: response.completed", text, StringComparison.Ordinal);
            }
        }

        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal((endpoint switch { "chat" => "chat.completions", _ => endpoint }, "ok", 3L), (row.Endpoint, row.Status, row.OutputTokens));
        Assert.False(row.UsageEstimated);
        var (input, output) = model == "claude-test" ? (3m, 15m) : (2.5m, 10m);
        Assert.Equal(Money.ToPico(((row.InputTokens * input) + (row.OutputTokens * output)) / 1_000_000m), row.CostPico);
    }

    [Fact]
    public async Task ToolCall_TranslatedBothWays_ReachesTheClientAsItsOwnToolCall()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();
        var (path, body) = Content("chat", "claude-test", false, "Weather in Paris? fake:tool_call=true");

        var response = await client.PostAsync(path, body, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choice = json.RootElement.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        var call = choice.GetProperty("message").GetProperty("tool_calls")[0];
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("fake", JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!).RootElement.GetProperty("city").GetString());
    }

    [Fact]
    public async Task FeatureTheProviderCannotExpress_Is400NamingIt_AndNothingIsSentOrBilled()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions", new StringContent(
            """{"model":"claude-test","messages":[{"role":"user","content":"hi"}],"logprobs":true}""", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("logprobs", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Empty(host.Fake.Requests);
        Assert.Empty(await host.LedgerAsync());
    }
}
