using System.Net;
using System.Text.Json;
using Tollgate.FakeProviders;

namespace Tollgate.Tests.FakeProviders;

/// <summary>The Anthropic Messages wire format over raw HTTP, event by event.</summary>
public sealed class MessagesWireTests
{
    private const string Path = "anthropic/v1/messages";

    private const string WeatherTool = """
        ,"tools":[{"name":"get_weather","description":"Weather for a city","input_schema":{"type":"object",
          "properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]},"days":{"type":"integer"},"hourly":{"type":"boolean"}},
          "required":["city"]}}]
        """;

    /// <summary>What <see cref="WeatherTool"/>'s schema makes the fake answer: 55 UTF-8 bytes, so 14 output tokens.</summary>
    private const string WeatherInput = """{"city":"fake","unit":"celsius","days":1,"hourly":true}""";

    private static readonly TimeSpan Timeout = FakeHttp.Timeout;

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string body, params (string Name, string Value)[] headers) =>
        FakeHttp.PostAsync(client, body, Path, [.. FakeHttp.AnthropicHeaders, .. headers]);

    [Fact]
    public async Task Stream_Text_SendsTheReferenceEventSequence()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);

        using var response = await PostAsync(client, FakeHttp.MessagesBody(stream: true));
        var (events, error) = await FakeHttp.ReadNamedEventsAsync(response);

        Assert.Null(error);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("req_", response.Headers.GetValues("request-id").Single(), StringComparison.Ordinal);
        Assert.Equal(
            ["message_start", "content_block_start", "ping", .. Enumerable.Repeat("content_block_delta", 5), "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Name));

        var message = events[0].Data.GetProperty("message");
        Assert.StartsWith("msg_", message.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.Equal("assistant", message.GetProperty("role").GetString());
        Assert.Equal("claude-test", message.GetProperty("model").GetString());
        Assert.Equal(0, message.GetProperty("content").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, message.GetProperty("stop_reason").ValueKind);
        Assert.Equal(JsonValueKind.Null, message.GetProperty("stop_sequence").ValueKind);
        var startUsage = message.GetProperty("usage");
        Assert.Equal(2, startUsage.GetProperty("input_tokens").GetInt32()); // "Hello!" is 6 bytes.
        Assert.Equal(0, startUsage.GetProperty("cache_creation_input_tokens").GetInt32());
        Assert.Equal(0, startUsage.GetProperty("cache_read_input_tokens").GetInt32());
        Assert.Equal(1, startUsage.GetProperty("output_tokens").GetInt32());

        var blockStart = events[1].Data;
        Assert.Equal(0, blockStart.GetProperty("index").GetInt32());
        Assert.Equal("text", blockStart.GetProperty("content_block").GetProperty("type").GetString());
        Assert.Equal(string.Empty, blockStart.GetProperty("content_block").GetProperty("text").GetString());
        var deltas = events.Where(e => e.Name == "content_block_delta").Select(e => e.Data).ToList();
        Assert.All(deltas, d => Assert.Equal(0, d.GetProperty("index").GetInt32()));
        Assert.All(deltas, d => Assert.Equal("text_delta", d.GetProperty("delta").GetProperty("type").GetString()));
        Assert.Equal("tok0 tok1 tok2 tok3 tok4 ", string.Concat(deltas.Select(d => d.GetProperty("delta").GetProperty("text").GetString())));
        Assert.Equal(0, events[^3].Data.GetProperty("index").GetInt32());

        var messageDelta = events[^2].Data;
        Assert.Equal("end_turn", messageDelta.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal(JsonValueKind.Null, messageDelta.GetProperty("delta").GetProperty("stop_sequence").ValueKind);
        Assert.Equal(5, messageDelta.GetProperty("usage").GetProperty("output_tokens").GetInt32());
        Assert.Equal(2, messageDelta.GetProperty("usage").GetProperty("input_tokens").GetInt32());
        await FakeHttp.WaitUntilAsync(() => server.Stats.CompletedFor("anthropic") == 1);
    }

    [Fact]
    public async Task Stream_ThinkingEnabled_ThinkingDeltasAndSignatureBeforeTheTextBlock()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);

        using var response = await PostAsync(
            client,
            FakeHttp.MessagesBody(stream: true, extra: ""","thinking":{"type":"enabled","budget_tokens":1024}"""),
            ("x-fake-reasoning-tokens", "2"),
            ("x-fake-chunks", "1"));
        var (events, error) = await FakeHttp.ReadNamedEventsAsync(response);

        Assert.Null(error);
        Assert.Equal(
            ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Name));
        var thinkingBlock = events[1].Data.GetProperty("content_block");
        Assert.Equal("thinking", thinkingBlock.GetProperty("type").GetString());
        Assert.Equal(string.Empty, thinkingBlock.GetProperty("thinking").GetString());
        Assert.Equal(string.Empty, thinkingBlock.GetProperty("signature").GetString());
        Assert.Equal("thinking_delta", events[3].Data.GetProperty("delta").GetProperty("type").GetString());
        Assert.Equal("think0 ", events[3].Data.GetProperty("delta").GetProperty("thinking").GetString());
        Assert.Equal("think1 ", events[4].Data.GetProperty("delta").GetProperty("thinking").GetString());
        Assert.Equal("signature_delta", events[5].Data.GetProperty("delta").GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(events[5].Data.GetProperty("delta").GetProperty("signature").GetString()));
        Assert.All(events[3..7], e => Assert.Equal(0, e.Data.GetProperty("index").GetInt32()));
        Assert.Equal("text", events[7].Data.GetProperty("content_block").GetProperty("type").GetString());
        Assert.All(events[7..10], e => Assert.Equal(1, e.Data.GetProperty("index").GetInt32()));
        Assert.Equal("tok0 ", events[8].Data.GetProperty("delta").GetProperty("text").GetString());
        Assert.Equal(2 + 1, events[^2].Data.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task Stream_ToolChoiceAny_StreamsToolUseInputAsJsonDeltas()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);

        using var response = await PostAsync(client, FakeHttp.MessagesBody("Weather in Paris?", stream: true, extra: WeatherTool + ""","tool_choice":{"type":"any"}"""));
        var (events, error) = await FakeHttp.ReadNamedEventsAsync(response);

        Assert.Null(error);
        Assert.Equal(
            ["message_start", "content_block_start", "ping", .. Enumerable.Repeat("content_block_delta", 7), "content_block_stop", "message_delta", "message_stop"],
            events.Select(e => e.Name));
        var block = events[1].Data.GetProperty("content_block");
        Assert.Equal("tool_use", block.GetProperty("type").GetString());
        Assert.StartsWith("toolu_", block.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("get_weather", block.GetProperty("name").GetString());
        Assert.Equal("direct", block.GetProperty("caller").GetProperty("type").GetString());
        Assert.Equal(JsonValueKind.Object, block.GetProperty("input").ValueKind);
        Assert.Empty(block.GetProperty("input").EnumerateObject());
        var pieces = events.Where(e => e.Name == "content_block_delta").Select(e => e.Data.GetProperty("delta")).ToList();
        Assert.All(pieces, p => Assert.Equal("input_json_delta", p.GetProperty("type").GetString()));
        Assert.All(pieces, p => Assert.InRange(p.GetProperty("partial_json").GetString()!.Length, 1, 8));
        Assert.Equal(WeatherInput, string.Concat(pieces.Select(p => p.GetProperty("partial_json").GetString())));
        var messageDelta = events[^2].Data;
        Assert.Equal("tool_use", messageDelta.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.Equal(14, messageDelta.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task Message_ToolChoiceAuto_AnswersTextUnlessTheToolCallKnobAsks()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);
        var body = FakeHttp.MessagesBody("Weather in Paris?", extra: WeatherTool);

        var text = await FakeHttp.ReadJsonAsync(await PostAsync(client, body));
        var call = await FakeHttp.ReadJsonAsync(await PostAsync(client, body, ("x-fake-tool-call", "true")));

        Assert.Equal("end_turn", text.GetProperty("stop_reason").GetString());
        Assert.Equal("text", Assert.Single(text.GetProperty("content").EnumerateArray()).GetProperty("type").GetString());
        Assert.Equal("tool_use", call.GetProperty("stop_reason").GetString());
        var toolUse = Assert.Single(call.GetProperty("content").EnumerateArray());
        Assert.Equal("tool_use", toolUse.GetProperty("type").GetString());
        Assert.Equal("get_weather", toolUse.GetProperty("name").GetString());
        Assert.Equal(WeatherInput, toolUse.GetProperty("input").GetRawText());
        Assert.Equal(5, call.GetProperty("usage").GetProperty("input_tokens").GetInt32()); // "Weather in Paris?" is 17 bytes.
        Assert.Equal(14, call.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task Message_ToolNameKnob_CallsTheNamedToolWhenOffered()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);
        var body = FakeHttp.MessagesBody("Run it.", extra: """
            ,"tools":[{"name":"Read","input_schema":{"type":"object","properties":{"file_path":{"type":"string"}}}},
                      {"name":"Bash","input_schema":{"type":"object","properties":{"command":{"type":"string"},"timeout":{"type":"number"}},"required":["command"]}}]
            """);

        var named = await FakeHttp.ReadJsonAsync(await PostAsync(client, body, ("x-fake-tool-name", "Bash")));
        var missing = await FakeHttp.ReadJsonAsync(await PostAsync(client, body, ("x-fake-tool-name", "Write")));

        var toolUse = Assert.Single(named.GetProperty("content").EnumerateArray());
        Assert.Equal("Bash", toolUse.GetProperty("name").GetString());
        Assert.Equal("""{"command":"fake","timeout":1}""", toolUse.GetProperty("input").GetRawText());
        Assert.Equal("tool_use", named.GetProperty("stop_reason").GetString());
        Assert.Equal("end_turn", missing.GetProperty("stop_reason").GetString());
    }

    [Fact]
    public async Task Message_LastUserMessageCarriesToolResult_AnswersWithText()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);
        var body = """
            {"model":"claude-test","max_tokens":100,"tool_choice":{"type":"any"},
             "tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
             "messages":[
               {"role":"user","content":"Weather in Paris?"},
               {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"Sunny"}]}]}
            """;

        var answer = await FakeHttp.ReadJsonAsync(await PostAsync(client, body, ("x-fake-chunks", "2")));

        Assert.Equal("end_turn", answer.GetProperty("stop_reason").GetString());
        var block = Assert.Single(answer.GetProperty("content").EnumerateArray());
        Assert.Equal("text", block.GetProperty("type").GetString());
        Assert.Equal("tok0 tok1 ", block.GetProperty("text").GetString());
        // 17 + 5 bytes of text (the tool_use input is not counted) → 6 prompt tokens.
        Assert.Equal(6, answer.GetProperty("usage").GetProperty("input_tokens").GetInt32());
    }

    [Theory]
    [InlineData(4, 3, 2, 4, 3)]
    [InlineData(100, 5, 0, 9, 0)]
    [InlineData(6, 10, 0, 6, 3)]
    public async Task Message_CacheKnobs_SplitThePromptIntoReadWriteAndInput(int cached, int written, int input, int read, int write)
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { CachedTokens = cached, CacheWriteTokens = written }).WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);
        // 16 bytes of system text and 20 of user text → 9 prompt tokens.
        var body = """{"model":"claude-test","max_tokens":64,"system":[{"type":"text","text":"0123456789abcdef"}],"messages":[{"role":"user","content":[{"type":"text","text":"0123456789abcdef0123"}]}]}""";

        using var response = await PostAsync(client, body);
        var answer = await FakeHttp.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("msg_", answer.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("message", answer.GetProperty("type").GetString());
        Assert.Equal("assistant", answer.GetProperty("role").GetString());
        Assert.Equal("claude-test", answer.GetProperty("model").GetString());
        Assert.Equal("tok0 tok1 tok2 tok3 tok4 ", Assert.Single(answer.GetProperty("content").EnumerateArray()).GetProperty("text").GetString());
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("stop_sequence").ValueKind);
        var usage = answer.GetProperty("usage");
        Assert.Equal(input, usage.GetProperty("input_tokens").GetInt32());
        Assert.Equal(read, usage.GetProperty("cache_read_input_tokens").GetInt32());
        Assert.Equal(write, usage.GetProperty("cache_creation_input_tokens").GetInt32());
        Assert.Equal(write, usage.GetProperty("cache_creation").GetProperty("ephemeral_5m_input_tokens").GetInt32());
        Assert.Equal(5, usage.GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task Message_MaxTokensBelowChunks_StopsWithMaxTokens()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);

        var answer = await FakeHttp.ReadJsonAsync(await PostAsync(client, """{"model":"claude-test","max_tokens":3,"messages":[{"role":"user","content":"Go on."}]}"""));

        Assert.Equal("max_tokens", answer.GetProperty("stop_reason").GetString());
        Assert.Equal("tok0 tok1 tok2 ", answer.GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(3, answer.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Theory]
    [InlineData("", "overloaded_error", "Overloaded")]
    [InlineData(" fake:error_type=rate_limit_error", "rate_limit_error", "rate limit")]
    [InlineData(" fake:error_type=api_error", "api_error", "Internal server error")]
    public async Task Stream_ErrorAfterKnob_SendsErrorEventAndNoMessageStop(string directive, string type, string message)
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);

        using var response = await PostAsync(client, FakeHttp.MessagesBody("Hi fake:error_after=2" + directive, stream: true));
        var (events, error) = await FakeHttp.ReadNamedEventsAsync(response);

        Assert.Null(error);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "error"], events.Select(e => e.Name));
        var failure = events[^1].Data;
        Assert.Equal(["type", "error"], failure.EnumerateObject().Select(p => p.Name));
        Assert.Equal(type, failure.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains(message, failure.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        await FakeHttp.WaitUntilAsync(() => server.Stats.FailedFor("anthropic") == 1);
    }

    [Fact]
    public async Task Message_ErrorAfterKnobWithoutStream_AnswersWithTheErrorStatus()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { ErrorAfterChunks = 1 }).WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);

        using var response = await PostAsync(client, FakeHttp.MessagesBody());
        var body = await FakeHttp.ReadJsonAsync(response);

        Assert.Equal(529, (int)response.StatusCode);
        Assert.Equal("overloaded_error", body.GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Stream_CutAfterKnob_AbortsWithoutClosingEvents()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);

        using var response = await PostAsync(client, FakeHttp.MessagesBody("Tell me fake:cut_after=3", stream: true));
        var (events, error) = await FakeHttp.ReadNamedEventsAsync(response);

        Assert.NotNull(error);
        Assert.Equal(["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_delta"], events.Select(e => e.Name));
        await FakeHttp.WaitUntilAsync(() => server.Stats.Failed == 1);
        Assert.Equal(0, server.Stats.Completed + server.Stats.Cancelled);
    }

    [Fact]
    public async Task Stream_OmitUsageKnob_LeavesUsageOutOfStartAndDelta()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { OmitUsage = true }).WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);

        using var response = await PostAsync(client, FakeHttp.MessagesBody(stream: true));
        var (events, error) = await FakeHttp.ReadNamedEventsAsync(response);

        Assert.Null(error);
        Assert.Equal("message_stop", events[^1].Name);
        Assert.False(events[0].Data.GetProperty("message").TryGetProperty("usage", out _));
        Assert.False(events[^2].Data.TryGetProperty("usage", out _));
        Assert.Equal("end_turn", events[^2].Data.GetProperty("delta").GetProperty("stop_reason").GetString());
    }

    [Theory]
    [InlineData(400, "invalid_request_error")]
    [InlineData(401, "authentication_error")]
    [InlineData(403, "permission_error")]
    [InlineData(404, "not_found_error")]
    [InlineData(413, "request_too_large")]
    [InlineData(429, "rate_limit_error")]
    [InlineData(500, "api_error")]
    [InlineData(529, "overloaded_error")]
    public async Task StatusKnob_AnswersInAnthropicErrorFormat(int status, string type)
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);

        using var response = await PostAsync(client, FakeHttp.MessagesBody(stream: true), ("x-fake-status", status.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var body = await FakeHttp.ReadJsonAsync(response);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("error", body.GetProperty("type").GetString());
        Assert.Equal(type, body.GetProperty("error").GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("error").GetProperty("message").GetString()));
        Assert.Equal(response.Headers.GetValues("request-id").Single(), body.GetProperty("request_id").GetString());
        await FakeHttp.WaitUntilAsync(() => server.Stats.FailedFor("anthropic") == 1);
    }

    [Fact]
    public async Task Auth_MissingKey_Returns401AuthenticationError()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);

        using var response = await FakeHttp.PostAsync(client, FakeHttp.MessagesBody(), Path, ("anthropic-version", "2023-06-01"));
        var body = await FakeHttp.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("authentication_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("x-api-key header is required", body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Auth_RequiredKey_AcceptedAsXApiKeyOrBearerAndWrongKeyRejected()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { RequireApiKey = "sk-ant-right" }).WaitAsync(Timeout);
        using var bearer = FakeHttp.CreateClient(server, "sk-ant-right");
        using var plain = FakeHttp.CreateClient(server, bearer: null);
        (string, string) version = ("anthropic-version", "2023-06-01");

        using var viaBearer = await FakeHttp.PostAsync(bearer, FakeHttp.MessagesBody(), Path, version);
        using var viaHeader = await FakeHttp.PostAsync(plain, FakeHttp.MessagesBody(), Path, version, ("x-api-key", "sk-ant-right"));
        using var wrong = await FakeHttp.PostAsync(plain, FakeHttp.MessagesBody(), Path, version, ("x-api-key", "sk-ant-wrong"));
        var error = await FakeHttp.ReadJsonAsync(wrong);

        Assert.Equal(HttpStatusCode.OK, viaBearer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, viaHeader.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("invalid x-api-key", error.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task MissingAnthropicVersion_Returns400InvalidRequest()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);

        using var response = await FakeHttp.PostAsync(client, FakeHttp.MessagesBody(), Path, ("x-api-key", "k"));
        var body = await FakeHttp.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", body.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("anthropic-version: header is required", body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Requests_AreRecordedWithHeadersAndProvider()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);

        using (var root = await FakeHttp.PostAsync(client, FakeHttp.MessagesBody(), "v1/messages", [.. FakeHttp.AnthropicHeaders, ("anthropic-beta", "prompt-caching-2024-07-31")]))
        using (var vertex = await FakeHttp.PostAsync(client, FakeHttp.MessagesBody(), "vertex/v1/messages", FakeHttp.AnthropicHeaders))
        {
            Assert.Equal(HttpStatusCode.OK, root.StatusCode);
            Assert.Equal(HttpStatusCode.OK, vertex.StatusCode);
        }

        Assert.Equal(["anthropic", "vertex"], server.Requests.Select(r => r.Provider));
        var first = server.Requests[0];
        Assert.Equal("/v1/messages", first.Path);
        Assert.Equal("prompt-caching-2024-07-31", first.Header("anthropic-beta"));
        Assert.Equal("2023-06-01", first.Header("Anthropic-Version"));
        Assert.Equal("sk-ant-k", first.Header("x-api-key"));
        Assert.Null(first.Authorization);
        Assert.Equal(FakeHttp.MessagesBody(), first.Body);
        await FakeHttp.WaitUntilAsync(() => server.Stats.CompletedFor("vertex") == 1);
    }

    [Theory]
    [InlineData("{not json", "not valid JSON")]
    [InlineData("""{"model":"m","messages":[]}""", "max_tokens: Field required")]
    [InlineData("""{"model":"m","max_tokens":0,"messages":[]}""", "max_tokens")]
    [InlineData("""{"model":"m","max_tokens":10}""", "messages: Field required")]
    [InlineData("""{"max_tokens":10,"messages":[]}""", "model: Field required")]
    public async Task BadBody_Returns400InvalidRequestError(string body, string message)
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);

        using var response = await PostAsync(client, body);
        var error = await FakeHttp.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", error.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains(message, error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(body, Assert.Single(server.Requests).Body);
    }

    [Fact]
    public async Task CountTokens_AnswersThePromptTokensOfTheSameMessage()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { CachedTokens = 3 }).WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);
        // 14 + 26 bytes → 10 tokens; count_tokens has no max_tokens.
        const string Count = """{"model":"claude-test","system":"You are terse.","messages":[{"role":"user","content":"What is 2+2? Say it short."}]}""";
        const string Create = """{"model":"claude-test","max_tokens":10,"system":"You are terse.","messages":[{"role":"user","content":"What is 2+2? Say it short."}]}""";

        using var counted = await FakeHttp.PostAsync(client, Count, "anthropic/v1/messages/count_tokens", FakeHttp.AnthropicHeaders);
        var count = await FakeHttp.ReadJsonAsync(counted);
        var message = await FakeHttp.ReadJsonAsync(await PostAsync(client, Create));
        using var unversioned = await FakeHttp.PostAsync(client, Count, "anthropic/v1/messages/count_tokens", ("x-api-key", "k"));

        Assert.Equal(HttpStatusCode.OK, counted.StatusCode);
        Assert.Equal("input_tokens", Assert.Single(count.EnumerateObject()).Name);
        Assert.Equal(10, count.GetProperty("input_tokens").GetInt32());
        var usage = message.GetProperty("usage");
        Assert.Equal(10, usage.GetProperty("input_tokens").GetInt32() + usage.GetProperty("cache_read_input_tokens").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, unversioned.StatusCode);
        Assert.Equal("/anthropic/v1/messages/count_tokens", server.Requests[0].Path);
    }
}
