using System.Net;
using System.Text;
using System.Text.Json;
using Tollgate.Budgets;

namespace Tollgate.Tests.Gateway;

/// <summary>
/// Every chat endpoint reaches providers of the other formats through translation, plain and
/// streamed, with tools and an image, billed once at the answering provider's price.
/// </summary>
public sealed class TranslationMatrixTests
{
    private const string Image = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

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

    private static (string Path, string Body) Request(string endpoint, string model, bool stream, string text) => endpoint switch
    {
        "chat" => ("v1/chat/completions", JsonSerializer.Serialize(new
        {
            model,
            stream,
            stream_options = stream ? new { include_usage = true } : null,
            max_tokens = 200,
            messages = new object[]
            {
                new { role = "system", content = "Be brief." },
                new { role = "user", content = new object[] { new { type = "text", text }, new { type = "image_url", image_url = new { url = Image } } } },
            },
            tools = new[] { new { type = "function", function = new { name = "get_weather", description = "Weather", parameters = new { type = "object", properties = new { city = new { type = "string" } }, required = new[] { "city" } } } } },
        })),
        "messages" => ("v1/messages", JsonSerializer.Serialize(new
        {
            model,
            stream,
            max_tokens = 200,
            system = "Be brief.",
            messages = new object[]
            {
                new { role = "user", content = new object[] { new { type = "text", text }, new { type = "image", source = new { type = "base64", media_type = "image/png", data = Image["data:image/png;base64,".Length..] } } } },
            },
            tools = new[] { new { name = "get_weather", description = "Weather", input_schema = new { type = "object", properties = new { city = new { type = "string" } }, required = new[] { "city" } } } },
        })),
        _ => ("v1/responses", JsonSerializer.Serialize(new
        {
            model,
            stream,
            max_output_tokens = 200,
            instructions = "Be brief.",
            input = new object[]
            {
                new { role = "user", content = new object[] { new { type = "input_text", text }, new { type = "input_image", image_url = Image } } },
            },
            tools = new[] { new { type = "function", name = "get_weather", description = "Weather", parameters = new { type = "object", properties = new { city = new { type = "string" } }, required = new[] { "city" } } } },
        })),
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task Endpoint_ToAProviderOfAnotherFormat_AnswersInTheClientsFormatAndBillsOnce(string endpoint, string model, bool stream)
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();
        var (path, body) = Request(endpoint, model, stream, "Count to three fake:chunks=3");

        var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
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
        var (path, body) = Request("chat", "claude-test", false, "Weather in Paris? fake:tool_call=true");

        var response = await client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
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
