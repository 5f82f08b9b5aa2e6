using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using Tollgate.Budgets;
using Tollgate.Tests.Gateway;
using static Tollgate.Tests.Gateway.TranslationRequests;

namespace Tollgate.Tests.Providers.Bedrock;

/// <summary>
/// The three client endpoints against the Bedrock fake (which verifies SigV4 and answers with a real
/// event stream), plain and streamed, with a tool and an image; usage and price; errors relayed in
/// the client's format.
/// </summary>
public sealed class BedrockGatewayTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, bool> Endpoints => new()
    {
        { "chat", false }, { "chat", true }, { "messages", false }, { "messages", true }, { "responses", false }, { "responses", true },
    };

    // bedrock-test-global: $3 input, $15 output, $0.30 cache read, $3.75 cache write per million.
    private static long GlobalPico(long input, long read, long write, long output) =>
        Money.ToPico(((input * 3m) + (read * 0.3m) + (write * 3.75m) + (output * 15m)) / 1_000_000m);

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Endpoint_ToBedrock_SignsConverseAndAnswersInTheClientsFormat(string endpoint, bool stream)
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();
        var (path, body) = Content(endpoint, "bedrock-test-global", stream, "Count to three fake:chunks=3");

        var response = await client.PostAsync(path, body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal("bedrock", Assert.Single(response.Headers.GetValues("x-tollgate-provider")));
        var upstream = host.Fake.Requests[^1];
        Assert.Equal($"/bedrock/model/global.anthropic.claude-test-v1%3A0/{(stream ? "converse-stream" : "converse")}", upstream.Path);
        Assert.StartsWith($"AWS4-HMAC-SHA256 Credential={host.Fake.Options.BedrockAccessKeyId}/", upstream.Authorization, StringComparison.Ordinal);
        Assert.Contains("/us-west-2/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=", upstream.Authorization, StringComparison.Ordinal);
        using (var sent = JsonDocument.Parse(upstream.Body))
        {
            var root = sent.RootElement;
            Assert.Equal("Be brief.", root.GetProperty("system")[0].GetProperty("text").GetString());
            Assert.Equal(200, root.GetProperty("inferenceConfig").GetProperty("maxTokens").GetInt32());
            Assert.Equal("get_weather", root.GetProperty("toolConfig").GetProperty("tools")[0].GetProperty("toolSpec").GetProperty("name").GetString());
            var image = root.GetProperty("messages")[0].GetProperty("content")[1].GetProperty("image");
            Assert.Equal("png", image.GetProperty("format").GetString());
            Assert.StartsWith("iVBORw0KGgo", image.GetProperty("source").GetProperty("bytes").GetString(), StringComparison.Ordinal);
        }

        Assert.Contains("tok0", text, StringComparison.Ordinal);
        Assert.Contains("tok2", text, StringComparison.Ordinal);
        Assert.DoesNotContain("claude-test-v1", text, StringComparison.Ordinal);
        if (stream)
        {
            Assert.EndsWith(endpoint switch { "chat" => "data: [DONE]\n\n", "messages" => "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", _ => "\n\n" }, text, StringComparison.Ordinal);
        }

        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("bedrock", "global.anthropic.claude-test-v1:0", "ok", 3L), (row.Provider, row.ProviderModel, row.Status, row.OutputTokens));
        Assert.False(row.UsageEstimated);
        Assert.True(row.InputTokens > 0);
        Assert.Equal(GlobalPico(row.InputTokens, 0, 0, 3), row.CostPico);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Usage_WithCacheReadsAndWrites_IsChargedExactlyAndTheSameStreamedOrNot(bool stream)
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();
        var (path, body) = Content("chat", "bedrock-test-global", stream, "Hello there fake:chunks=4 fake:cached_tokens=3 fake:cache_write_tokens=2");

        var response = await client.PostAsync(path, body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal((3L, 4L), (row.CachedInputTokens, row.OutputTokens));
        Assert.Equal(GlobalPico(row.InputTokens, 3, 2, 4), row.CostPico);

        // The same prompt the other way costs the same.
        var (path2, body2) = Content("chat", "bedrock-test-global", !stream, "Hello there fake:chunks=4 fake:cached_tokens=3 fake:cache_write_tokens=2");
        var other = await client.PostAsync(path2, body2, Ct);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        var rows = await host.LedgerAsync();
        Assert.Equal(2, rows.Count);
        Assert.Equal(rows[0].CostPico, rows[1].CostPico);
        Assert.NotEqual(rows[0].Streamed, rows[1].Streamed);
    }

    [Fact]
    public async Task ToolCall_FromBedrock_ReachesAChatClientAsItsToolCall()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();
        var (path, body) = Content("chat", "bedrock-test-global", false, "Weather in Paris? fake:tool_call=true");

        var response = await client.PostAsync(path, body, Ct);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choice = json.RootElement.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        var call = choice.GetProperty("message").GetProperty("tool_calls")[0];
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("fake", JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!).RootElement.GetProperty("city").GetString());
    }

    [Fact]
    public async Task ToolCall_StreamedFromBedrock_ReachesAMessagesClientAsToolUseDeltas()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();
        var (path, body) = Content("messages", "bedrock-test-global", true, "Weather in Paris? fake:tool_call=true");

        var response = await client.PostAsync(path, body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        Assert.Contains("\"type\":\"tool_use\"", text, StringComparison.Ordinal);
        Assert.Contains("\"name\":\"get_weather\"", text, StringComparison.Ordinal);
        Assert.Contains("input_json_delta", text, StringComparison.Ordinal);
        Assert.Contains("\"stop_reason\":\"tool_use\"", text, StringComparison.Ordinal);
        var arguments = string.Concat(text.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal) && l.Contains("input_json_delta", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l["data: ".Length..]).RootElement.GetProperty("delta").GetProperty("partial_json").GetString()));
        Assert.Equal("fake", JsonDocument.Parse(arguments).RootElement.GetProperty("city").GetString());
    }

    [Fact]
    public async Task UsInferenceProfile_ReachesItsOwnUrl_AndIsChargedAtItsPrice()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("bedrock-test-us", "Hi fake:chunks=2"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/bedrock/model/us.anthropic.claude-test-v1%3A0/converse", host.Fake.Requests[^1].Path);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(("us.anthropic.claude-test-v1:0", 2L), (row.ProviderModel, row.OutputTokens));
        Assert.Equal(Money.ToPico(((row.InputTokens * 3.3m) + (2 * 16.5m)) / 1_000_000m), row.CostPico);
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("messages")]
    public async Task WrongSecret_FakeAnswers403SignatureDoesNotMatch_RelayedInTheClientsFormat(string endpoint)
    {
        const string wrong = "not-the-secret-the-fake-knows";
        await using var host = await GatewayTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Tollgate:Providers:bedrock:SecretAccessKey"] = wrong });
        using var client = host.GatewayClient();
        var (path, body) = Content(endpoint, "bedrock-test-global", false, "Hi");

        var response = await client.PostAsync(path, body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain(wrong, text, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(text);
        var error = json.RootElement.GetProperty("error");
        if (endpoint == "chat")
        {
            Assert.Equal("SignatureDoesNotMatch", error.GetProperty("code").GetString());
        }
        else
        {
            Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
            Assert.Equal("permission_error", error.GetProperty("type").GetString());
        }

        Assert.Contains("signature we calculated does not match", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal((403L, 0L), (row.HttpStatus, row.CostPico));
    }

    [Theory]
    [InlineData("fake:status=429", 429, "ThrottlingException")]
    [InlineData("fake:status=400", 400, "ValidationException")]
    [InlineData("fake:status=403", 403, "AccessDeniedException")]
    [InlineData("fake:status=429 fake:error_type=ModelNotReadyException", 503, "ModelNotReadyException")]
    [InlineData("fake:status=503", 503, "ServiceUnavailableException")]
    [InlineData("fake:status=500", 500, "InternalServerException")]
    public async Task BedrockError_ReachesTheClientWithItsMappedStatus(string directives, int status, string code)
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("bedrock-test-global", "Hi " + directives), Ct);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(code, json.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task ModelStreamError_MidStream_EndsWithTerminalEventsAndChargesWhatWasGenerated()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions",
            GatewayTestHost.ChatBody("bedrock-test-global", "Hi fake:chunks=5 fake:error_after=2", stream: true, includeUsage: true), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode); // committed before the failure
        Assert.Contains("tok1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("tok2", text, StringComparison.Ordinal);
        Assert.Contains("modelStreamErrorException", text, StringComparison.Ordinal);
        var row = Assert.Single(await host.WaitForLedgerAsync(1));
        Assert.Equal("failed", row.Status);
        Assert.True(row.CostPico > 0);
    }

    [Fact]
    public async Task CorruptFrame_MidStream_EndsWithTerminalEventsNotACrash_AndChargesWhatWasGenerated()
    {
        await using var host = await GatewayTestHost.StartAsync();
        using var client = host.GatewayClient();

        var response = await client.PostAsync("v1/chat/completions",
            GatewayTestHost.ChatBody("bedrock-test-global", "Hi fake:chunks=5 fake:corrupt_after=2", stream: true, includeUsage: true), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("tok1", text, StringComparison.Ordinal);
        Assert.DoesNotContain("tok2", text, StringComparison.Ordinal);
        Assert.Contains("CorruptFrame", text, StringComparison.Ordinal);
        Assert.Contains("message CRC", text, StringComparison.Ordinal);
        var row = Assert.Single(await host.WaitForLedgerAsync(1));
        Assert.Equal("failed", row.Status);
        Assert.True(row.CostPico > 0);

        // The server is unharmed: the next request is answered.
        var next = await client.PostAsync("v1/chat/completions", GatewayTestHost.ChatBody("bedrock-test-global", "Hi again"), Ct);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task OfficialOpenAISdk_StreamsFromBedrock_TextAndUsageWithCacheReads()
    {
        await using var host = await GatewayTestHost.StartAsync();
        var sdk = new ChatClient("bedrock-test-global", new ApiKeyCredential(host.Key),
            new OpenAIClientOptions { Endpoint = host.GatewayV1, NetworkTimeout = TimeSpan.FromSeconds(30) });
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;

        await foreach (var update in sdk.CompleteChatStreamingAsync([new UserChatMessage("stream please fake:chunks=4 fake:cached_tokens=3")]).WithCancellation(Ct))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
        }

        Assert.Equal("tok0 tok1 tok2 tok3", text.ToString().Trim());
        Assert.NotNull(usage);
        Assert.Equal((4, 3), (usage.OutputTokenCount, usage.InputTokenDetails.CachedTokenCount));
        var row = Assert.Single(await host.LedgerAsync());
        Assert.Equal(usage.InputTokenCount, row.InputTokens + row.CachedInputTokens);
        Assert.Equal(GlobalPico(row.InputTokens, 3, 0, 4), row.CostPico);
    }
}
