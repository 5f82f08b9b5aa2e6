using System.Net;
using System.Text;
using System.Text.Json;
using Tollgate.Budgets;
using Tollgate.Tests.Gateway;
using static Tollgate.Tests.Gateway.TranslationRequests;

namespace Tollgate.Tests.Providers.Google;

/// <summary>
/// The three chat endpoints against Gemini on AI Studio, Gemini on Vertex and Claude on Vertex through the
/// fake, plain and streamed, with a tool and an image; usage with cached and thinking tokens billed at the
/// catalog price; the provider's refusals in the client's own format.
/// </summary>
public sealed class GoogleGatewayTests
{
    private const string VertexModels = "/v1/projects/tollgate-test/locations/us-central1/publishers";

    public static TheoryData<string, string, bool> Matrix()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var endpoint in (string[])["chat", "messages", "responses"])
        {
            foreach (var model in (string[])["gemini-test", "gemini-vertex-test", "claude-vertex-test"])
            {
                data.Add(endpoint, model, false);
                data.Add(endpoint, model, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Endpoint_ToGoogleProviders_AnswersInTheClientsFormatAndBillsCachedAndThinkingTokensExactly(string endpoint, string model, bool stream)
    {
        await using var host = await GatewayTestHost.StartAsync();

        var (response, text) = await PostAsync(host, endpoint, model, stream, "Count to three fake:chunks=3 fake:cached_tokens=2 fake:reasoning_tokens=4");

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var claude = model == "claude-vertex-test";
        var upstream = host.Fake.Requests.Last(r => r.Provider is "google" or "vertex");
        switch (model)
        {
            case "gemini-test":
                Assert.Equal($"/v1beta/models/gemini-upstream:{(stream ? "streamGenerateContent" : "generateContent")}", upstream.Path);
                Assert.Equal("google-server-key", upstream.Header("x-goog-api-key"));
                break;
            case "gemini-vertex-test":
                Assert.Equal($"{VertexModels}/google/models/gemini-vertex-upstream:{(stream ? "streamGenerateContent" : "generateContent")}", upstream.Path);
                Assert.StartsWith("Bearer ya29.fake-", upstream.Authorization, StringComparison.Ordinal);
                break;
            default:
                Assert.Equal($"{VertexModels}/anthropic/models/claude-vertex-upstream:{(stream ? "streamRawPredict" : "rawPredict")}", upstream.Path);
                Assert.StartsWith("Bearer ya29.fake-", upstream.Authorization, StringComparison.Ordinal);
                using (var sent = JsonDocument.Parse(upstream.Body))
                {
                    Assert.Equal("vertex-2023-10-16", sent.RootElement.GetProperty("anthropic_version").GetString());
                    Assert.False(sent.RootElement.TryGetProperty("model", out _));
                }

                break;
        }

        Assert.Contains("Be brief.", upstream.Body, StringComparison.Ordinal);
        Assert.Contains("get_weather", upstream.Body, StringComparison.Ordinal);
        Assert.Contains("iVBORw0KGgo", upstream.Body, StringComparison.Ordinal);
        Assert.Contains(claude ? "\"media_type\":\"image/png\"" : "\"inlineData\":{\"mimeType\":\"image/png\"", upstream.Body, StringComparison.Ordinal);
        Assert.Contains("tok0", text, StringComparison.Ordinal);
        Assert.Contains("tok2", text, StringComparison.Ordinal);
        Assert.DoesNotContain("upstream", text, StringComparison.Ordinal); // the client's model name, never the provider's
        if (stream)
        {
            Assert.EndsWith(endpoint switch { "chat" => "data: [DONE]\n\n", "messages" => "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", _ => "\n\n" }, text, StringComparison.Ordinal);
        }

        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal((endpoint switch { "chat" => "chat.completions", _ => endpoint }, model.Contains("vertex", StringComparison.Ordinal) ? "vertex" : "google", "ok"),
            (row.Endpoint, row.Provider, row.Status));
        Assert.False(row.UsageEstimated);
        Assert.Equal(2L, row.CachedInputTokens);
        Assert.Equal(3L, row.OutputTokens);

        // Gemini reports thoughts apart (billed as output); the Anthropic fake thinks only when asked to.
        Assert.Equal(claude ? 0L : 4L, row.ReasoningTokens);
        var expected = claude
            ? ((row.InputTokens * 3m) + (2 * 0.3m) + (3 * 15m)) / 1_000_000m
            : ((row.InputTokens * 2m) + (2 * 0.5m) + ((3 + 4) * 8m)) / 1_000_000m;
        Assert.Equal(Money.ToPico(expected), row.CostPico);
    }

    [Theory]
    [InlineData("chat", "gemini-test")]
    [InlineData("messages", "gemini-vertex-test")]
    [InlineData("responses", "gemini-test")]
    public async Task ToolCall_FromGemini_ReachesTheClientAsItsOwnToolCall(string endpoint, string model)
    {
        await using var host = await GatewayTestHost.StartAsync();

        var (response, text) = await PostAsync(host, endpoint, model, false, "Weather in Paris? fake:tool_call=true");

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        using var json = JsonDocument.Parse(text);
        var (name, arguments, stop) = endpoint switch
        {
            "chat" => (json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls")[0].GetProperty("function").GetProperty("name").GetString(),
                json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString(),
                json.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString()),
            "messages" => (json.RootElement.GetProperty("content")[0].GetProperty("name").GetString(),
                json.RootElement.GetProperty("content")[0].GetProperty("input").GetRawText(),
                json.RootElement.GetProperty("stop_reason").GetString()),
            _ => (json.RootElement.GetProperty("output")[0].GetProperty("name").GetString(),
                json.RootElement.GetProperty("output")[0].GetProperty("arguments").GetString(),
                json.RootElement.GetProperty("status").GetString()),
        };
        Assert.Equal("get_weather", name);
        Assert.Equal("fake", JsonDocument.Parse(arguments!).RootElement.GetProperty("city").GetString());
        Assert.Equal(endpoint switch { "chat" => "tool_calls", "messages" => "tool_use", _ => "completed" }, stop);
    }

    [Fact]
    public async Task ToolResult_SentBack_IsAFunctionResponseNamedAfterItsCall()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions", new StringContent("""
            {"model":"gemini-test","messages":[
              {"role":"user","content":"Weather in Paris?"},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_0","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
              {"role":"tool","tool_call_id":"call_0","content":"18C"}],
             "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}
            """, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var sent = JsonDocument.Parse(host.Fake.Requests.Last(r => r.Provider == "google").Body);
        var contents = sent.RootElement.GetProperty("contents");
        Assert.Equal("get_weather", contents[1].GetProperty("parts")[0].GetProperty("functionCall").GetProperty("name").GetString());
        var result = contents[2].GetProperty("parts")[0].GetProperty("functionResponse");
        Assert.Equal(("get_weather", "18C"), (result.GetProperty("name").GetString(), result.GetProperty("response").GetProperty("output").GetString()));
    }

    [Theory]
    [InlineData("chat", false)]
    [InlineData("chat", true)]
    [InlineData("messages", false)]
    [InlineData("responses", true)]
    public async Task BlockedPrompt_IsA400InTheClientsFormat_ChargedAsReported(string endpoint, bool stream)
    {
        await using var host = await GatewayTestHost.StartAsync();

        var (response, text) = await PostAsync(host, endpoint, "gemini-test", stream, "Something dangerous fake:safety_block=SAFETY");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(text);
        var error = json.RootElement.GetProperty("error");
        Assert.Contains("blocked the prompt (SAFETY)", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("prompt_blocked", error.GetProperty("code").GetString());
        Assert.Equal(endpoint == "messages" ? "invalid_request_error" : "invalid_request_error", error.GetProperty("type").GetString());
        if (endpoint == "messages")
        {
            Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
        }

        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal((0L, 0L), (row.OutputTokens, row.ReasoningTokens));
        Assert.Equal(Money.ToPico(row.InputTokens * 2m / 1_000_000m), row.CostPico);
        Assert.True(row.InputTokens > 0);
    }

    [Fact]
    public async Task FinishReason_MapsToTheClientsFinishReason()
    {
        await using var host = await GatewayTestHost.StartAsync();

        foreach (var (finish, expected) in new (string, string)[] { ("SAFETY", "content_filter"), ("RECITATION", "content_filter"), ("MAX_TOKENS", "length"), ("STOP", "stop") })
        {
            var (response, text) = await PostAsync(host, "chat", "gemini-vertex-test", false, $"Hi fake:finish_reason={finish}");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(text);
            Assert.Equal(expected, json.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        }
    }

    [Fact]
    public async Task ProviderError_IsRelayedWithItsStatusInTheClientsFormat()
    {
        await using var host = await GatewayTestHost.StartAsync();

        foreach (var (endpoint, status, type) in new (string, int, string)[] { ("chat", 429, "rate_limit_error"), ("messages", 503, "overloaded_error"), ("chat", 404, "invalid_request_error") })
        {
            var (response, text) = await PostAsync(host, endpoint, "gemini-test", false, $"Hi fake:status={status}");

            Assert.Equal(status, (int)response.StatusCode);
            using var json = JsonDocument.Parse(text);
            var error = json.RootElement.GetProperty("error");
            Assert.Equal(type, error.GetProperty("type").GetString());
            Assert.Contains($"HTTP {status}", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        Assert.All(await host.LedgerAsync(), row => Assert.Equal(("upstream_error", 0L), (row.Status, row.CostPico)));
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("messages")]
    public async Task WrongStudioKey_TheProvidersRefusalReachesTheClientInItsFormat(string endpoint)
    {
        await using var host = await GatewayTestHost.StartAsync();
        host.Fake.Options.RequireApiKey = "the-right-key"; // the server's google key is now wrong

        var (response, text) = await PostAsync(host, endpoint, "gemini-test", false, "Hi");

        // AI Studio answers an unknown key with 400 INVALID_ARGUMENT (not 401).
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(text);
        var error = json.RootElement.GetProperty("error");
        Assert.Contains("API key not valid", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("google-server-key", text, StringComparison.Ordinal);
        if (endpoint == "chat")
        {
            Assert.Equal("invalid_argument", error.GetProperty("code").GetString());
        }
        else
        {
            Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
        }
    }

    [Theory]
    [InlineData("chat", "gemini-vertex-test")]
    [InlineData("messages", "claude-vertex-test")]
    [InlineData("responses", "claude-vertex-test")]
    public async Task ServiceAccountTheTokenEndpointRefuses_Is401InTheClientsFormat_AndNothingReachesTheModel(string endpoint, string model)
    {
        await using var host = await GatewayTestHost.StartAsync();
        host.Fake.Options.GoogleServiceAccounts.Clear(); // the fake no longer knows the server's key

        var (response, text) = await PostAsync(host, endpoint, model, false, "Hi");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var json = JsonDocument.Parse(text);
        var message = json.RootElement.GetProperty("error").GetProperty("message").GetString();
        Assert.Contains("invalid_grant", message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", text, StringComparison.Ordinal);
        Assert.Equal(endpoint == "messages" ? "authentication_error" : "upstream_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.DoesNotContain(host.Fake.Requests, r => r.Path.Contains("/models/", StringComparison.Ordinal));
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal((401L, 0L), (row.HttpStatus, row.CostPico));
    }
}
