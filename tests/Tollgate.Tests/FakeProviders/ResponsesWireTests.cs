using System.Net;
using System.Text.Json;
using Tollgate.FakeProviders;

namespace Tollgate.Tests.FakeProviders;

/// <summary>The OpenAI Responses wire format over raw HTTP, event by event.</summary>
public sealed class ResponsesWireTests
{
    private const string Path = "openai/v1/responses";

    private const string WeatherTool = """
        {"type":"function","name":"get_weather","description":"Weather for a city","strict":false,"parameters":{"type":"object",
          "properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]},"days":{"type":"integer"},"hourly":{"type":"boolean"}},
          "required":["city"]}}
        """;

    /// <summary>What <see cref="WeatherTool"/>'s schema makes the fake answer: 55 UTF-8 bytes, so 14 output tokens.</summary>
    private const string WeatherArguments = """{"city":"fake","unit":"celsius","days":1,"hourly":true}""";

    private static readonly TimeSpan Timeout = FakeHttp.Timeout;

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string body, params (string Name, string Value)[] headers) =>
        FakeHttp.PostAsync(client, body, Path, headers);

    [Fact]
    public async Task Stream_Text_SendsTypedEventsWithIncreasingSequenceNumbers()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await PostAsync(client, FakeHttp.ResponsesBody(stream: true));
        var (events, error) = await FakeHttp.ReadNamedEventsAsync(response);

        Assert.Null(error);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(
            ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
                .. Enumerable.Repeat("response.output_text.delta", 5),
                "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"],
            events.Select(e => e.Name));
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => e.Data.GetProperty("sequence_number").GetInt32()));

        var created = events[0].Data.GetProperty("response");
        var id = created.GetProperty("id").GetString();
        Assert.StartsWith("resp_", id, StringComparison.Ordinal);
        Assert.Equal("response", created.GetProperty("object").GetString());
        Assert.Equal("in_progress", created.GetProperty("status").GetString());
        Assert.Equal("gpt-test", created.GetProperty("model").GetString());
        Assert.Equal(0, created.GetProperty("output").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, created.GetProperty("usage").ValueKind);
        Assert.True(created.GetProperty("store").GetBoolean());
        Assert.Equal("in_progress", events[1].Data.GetProperty("response").GetProperty("status").GetString());

        var added = events[2].Data;
        Assert.Equal(0, added.GetProperty("output_index").GetInt32());
        var item = added.GetProperty("item");
        var itemId = item.GetProperty("id").GetString();
        Assert.StartsWith("msg_", itemId, StringComparison.Ordinal);
        Assert.Equal("message", item.GetProperty("type").GetString());
        Assert.Equal("in_progress", item.GetProperty("status").GetString());
        Assert.Equal("assistant", item.GetProperty("role").GetString());
        Assert.Equal(0, item.GetProperty("content").GetArrayLength());
        var partAdded = events[3].Data;
        Assert.Equal(itemId, partAdded.GetProperty("item_id").GetString());
        Assert.Equal("output_text", partAdded.GetProperty("part").GetProperty("type").GetString());
        Assert.Equal(string.Empty, partAdded.GetProperty("part").GetProperty("text").GetString());

        var deltas = events.Where(e => e.Name == "response.output_text.delta").Select(e => e.Data).ToList();
        Assert.All(deltas, d =>
        {
            Assert.Equal(itemId, d.GetProperty("item_id").GetString());
            Assert.Equal(0, d.GetProperty("output_index").GetInt32());
            Assert.Equal(0, d.GetProperty("content_index").GetInt32());
        });
        Assert.Equal("tok0 tok1 tok2 tok3 tok4 ", string.Concat(deltas.Select(d => d.GetProperty("delta").GetString())));
        Assert.Equal("tok0 tok1 tok2 tok3 tok4 ", events[^4].Data.GetProperty("text").GetString());
        Assert.Equal("tok0 tok1 tok2 tok3 tok4 ", events[^3].Data.GetProperty("part").GetProperty("text").GetString());
        Assert.Equal("completed", events[^2].Data.GetProperty("item").GetProperty("status").GetString());

        var completed = events[^1].Data.GetProperty("response");
        Assert.Equal(id, completed.GetProperty("id").GetString());
        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Number, completed.GetProperty("completed_at").ValueKind);
        var message = Assert.Single(completed.GetProperty("output").EnumerateArray());
        Assert.Equal(itemId, message.GetProperty("id").GetString());
        Assert.Equal("tok0 tok1 tok2 tok3 tok4 ", message.GetProperty("content")[0].GetProperty("text").GetString());
        var usage = completed.GetProperty("usage");
        Assert.Equal(2, usage.GetProperty("input_tokens").GetInt32()); // "Hello!" is 6 bytes.
        Assert.Equal(0, usage.GetProperty("input_tokens_details").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(5, usage.GetProperty("output_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("output_tokens_details").GetProperty("reasoning_tokens").GetInt32());
        Assert.Equal(7, usage.GetProperty("total_tokens").GetInt32());
        await FakeHttp.WaitUntilAsync(() => server.Stats.CompletedFor("openai") == 1);
    }

    [Fact]
    public async Task Stream_ToolChoiceRequired_StreamsFunctionCallArguments()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await PostAsync(
            client, FakeHttp.ResponsesBody("Weather in Paris?", stream: true, extra: $$""","tools":[{{WeatherTool}}],"tool_choice":"required" """));
        var (events, error) = await FakeHttp.ReadNamedEventsAsync(response);

        Assert.Null(error);
        Assert.Equal(
            ["response.created", "response.in_progress", "response.output_item.added",
                .. Enumerable.Repeat("response.function_call_arguments.delta", 7),
                "response.function_call_arguments.done", "response.output_item.done", "response.completed"],
            events.Select(e => e.Name));
        var added = events[2].Data.GetProperty("item");
        var itemId = added.GetProperty("id").GetString();
        Assert.StartsWith("fc_", itemId, StringComparison.Ordinal);
        Assert.Equal("function_call", added.GetProperty("type").GetString());
        Assert.Equal("in_progress", added.GetProperty("status").GetString());
        Assert.Equal(string.Empty, added.GetProperty("arguments").GetString());
        Assert.Equal("get_weather", added.GetProperty("name").GetString());
        var callId = added.GetProperty("call_id").GetString();
        Assert.StartsWith("call_", callId, StringComparison.Ordinal);

        var deltas = events.Where(e => e.Name == "response.function_call_arguments.delta").Select(e => e.Data).ToList();
        Assert.All(deltas, d => Assert.Equal(itemId, d.GetProperty("item_id").GetString()));
        Assert.Equal(WeatherArguments, string.Concat(deltas.Select(d => d.GetProperty("delta").GetString())));
        var done = events[^3].Data;
        Assert.Equal(WeatherArguments, done.GetProperty("arguments").GetString());
        Assert.Equal("get_weather", done.GetProperty("name").GetString());
        var finished = events[^2].Data.GetProperty("item");
        Assert.Equal("completed", finished.GetProperty("status").GetString());
        Assert.Equal(WeatherArguments, finished.GetProperty("arguments").GetString());
        Assert.Equal(callId, finished.GetProperty("call_id").GetString());

        var completed = events[^1].Data.GetProperty("response");
        Assert.Equal("function_call", Assert.Single(completed.GetProperty("output").EnumerateArray()).GetProperty("type").GetString());
        Assert.Equal("required", completed.GetProperty("tool_choice").GetString());
        Assert.Equal("get_weather", completed.GetProperty("tools")[0].GetProperty("name").GetString());
        Assert.Equal(14, completed.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task Create_ToolChoiceNamesAFunction_CallsThatFunction()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);
        var timeTool = """{"type":"function","name":"get_time","parameters":{"type":"object","properties":{"zone":{"type":"string"}}}}""";
        var extra = ",\"tools\":[" + WeatherTool + "," + timeTool + "],\"tool_choice\":{\"type\":\"function\",\"name\":\"get_time\"}";

        var answer = await FakeHttp.ReadJsonAsync(await PostAsync(client, FakeHttp.ResponsesBody("Time?", extra: extra)));

        var call = Assert.Single(answer.GetProperty("output").EnumerateArray());
        Assert.Equal("get_time", call.GetProperty("name").GetString());
        Assert.Equal("""{"zone":"fake"}""", call.GetProperty("arguments").GetString());
        Assert.Equal(4, answer.GetProperty("usage").GetProperty("output_tokens").GetInt32()); // 15 bytes of arguments.
    }

    [Fact]
    public async Task Create_ToolChoiceAuto_AnswersTextUnlessTheToolCallKnobAsks()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);
        var body = FakeHttp.ResponsesBody("Weather in Paris?", extra: $$""","tools":[{{WeatherTool}}]""");

        var text = await FakeHttp.ReadJsonAsync(await PostAsync(client, body));
        var call = await FakeHttp.ReadJsonAsync(await PostAsync(client, body, ("x-fake-tool-call", "1")));

        Assert.Equal("message", Assert.Single(text.GetProperty("output").EnumerateArray()).GetProperty("type").GetString());
        Assert.Equal("function_call", Assert.Single(call.GetProperty("output").EnumerateArray()).GetProperty("type").GetString());
        Assert.Equal("auto", call.GetProperty("tool_choice").GetString());
    }

    [Fact]
    public async Task Create_ToolNameKnob_CallsTheNamedFunctionWhenOffered()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);
        var body = FakeHttp.ResponsesBody("Run it.", extra: ""","tools":[""" + WeatherTool + """
            ,{"type":"function","name":"shell_command","parameters":{"type":"object","properties":{"command":{"type":"string"},"workdir":{"type":"string"}},"required":["command"]}}]
            """);

        var named = await FakeHttp.ReadJsonAsync(await PostAsync(client, body, ("x-fake-tool-name", "shell_command")));
        var missing = await FakeHttp.ReadJsonAsync(await PostAsync(client, body, ("x-fake-tool-name", "apply_patch")));

        var call = Assert.Single(named.GetProperty("output").EnumerateArray());
        Assert.Equal("shell_command", call.GetProperty("name").GetString());
        Assert.Equal("""{"command":"fake","workdir":"fake"}""", call.GetProperty("arguments").GetString());
        Assert.Equal("message", Assert.Single(missing.GetProperty("output").EnumerateArray()).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Create_IncludeEncryptedReasoning_ReasoningItemCarriesEncryptedContent()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        var answer = await FakeHttp.ReadJsonAsync(await PostAsync(
            client, FakeHttp.ResponsesBody(extra: ""","reasoning":{"effort":"medium","summary":"auto"},"include":["reasoning.encrypted_content"],"store":false""")));

        var reasoning = answer.GetProperty("output")[0];
        Assert.Equal("reasoning", reasoning.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(reasoning.GetProperty("encrypted_content").GetString()));
        Assert.Equal("auto", answer.GetProperty("reasoning").GetProperty("summary").GetString());
    }

    [Fact]
    public async Task Create_LastItemIsFunctionCallOutput_AnswersTextAndCountsInstructionsAndItems()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);
        var body = $$"""
            {"model":"gpt-test","instructions":"Be brief.","tools":[{{WeatherTool}}],"tool_choice":"required","previous_response_id":"resp_earlier",
             "input":[
               {"type":"message","role":"user","content":[{"type":"input_text","text":"Weather in Paris?"}]},
               {"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
               {"type":"function_call_output","call_id":"call_1","output":"Sunny"}]}
            """;

        var answer = await FakeHttp.ReadJsonAsync(await PostAsync(client, body, ("x-fake-chunks", "2")));

        Assert.Equal("completed", answer.GetProperty("status").GetString());
        var message = Assert.Single(answer.GetProperty("output").EnumerateArray());
        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.Equal("tok0 tok1 ", message.GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal("Be brief.", answer.GetProperty("instructions").GetString());
        Assert.Equal("resp_earlier", answer.GetProperty("previous_response_id").GetString());
        // 9 + 17 + 5 bytes (function_call arguments are not counted) → 8 prompt tokens.
        Assert.Equal(8, answer.GetProperty("usage").GetProperty("input_tokens").GetInt32());
        Assert.Contains("\"previous_response_id\":\"resp_earlier\"", Assert.Single(server.Requests).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_ReasoningRequested_PutsAReasoningItemFirstAndCountsReasoningTokens()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { ReasoningTokens = 4, CachedTokens = 1 }).WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        var answer = await FakeHttp.ReadJsonAsync(await PostAsync(client, FakeHttp.ResponsesBody(extra: ""","reasoning":{"effort":"low"}""")));

        var output = answer.GetProperty("output").EnumerateArray().ToList();
        Assert.Equal(["reasoning", "message"], output.Select(o => o.GetProperty("type").GetString()));
        Assert.StartsWith("rs_", output[0].GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, output[0].GetProperty("summary").GetArrayLength());
        Assert.False(output[0].TryGetProperty("encrypted_content", out _));
        Assert.Equal("low", answer.GetProperty("reasoning").GetProperty("effort").GetString());
        var usage = answer.GetProperty("usage");
        Assert.Equal(5 + 4, usage.GetProperty("output_tokens").GetInt32());
        Assert.Equal(4, usage.GetProperty("output_tokens_details").GetProperty("reasoning_tokens").GetInt32());
        Assert.Equal(1, usage.GetProperty("input_tokens_details").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(2 + 9, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Create_MaxOutputTokensBelowChunks_IsIncompleteWithReason()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        var answer = await FakeHttp.ReadJsonAsync(await PostAsync(client, FakeHttp.ResponsesBody(extra: ""","max_output_tokens":3""")));

        Assert.Equal("incomplete", answer.GetProperty("status").GetString());
        Assert.Equal("max_output_tokens", answer.GetProperty("incomplete_details").GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("completed_at").ValueKind);
        Assert.Equal(3, answer.GetProperty("max_output_tokens").GetInt32());
        var message = Assert.Single(answer.GetProperty("output").EnumerateArray());
        Assert.Equal("incomplete", message.GetProperty("status").GetString());
        Assert.Equal("tok0 tok1 tok2 ", message.GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(3, answer.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Fact]
    public async Task Stream_MaxOutputTokensBelowChunks_EndsWithResponseIncomplete()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await PostAsync(client, FakeHttp.ResponsesBody(stream: true, extra: ""","max_output_tokens":2"""));
        var (events, error) = await FakeHttp.ReadNamedEventsAsync(response);

        Assert.Null(error);
        Assert.Equal("response.incomplete", events[^1].Name);
        Assert.Equal(2, events.Count(e => e.Name == "response.output_text.delta"));
        var incomplete = events[^1].Data.GetProperty("response");
        Assert.Equal("incomplete", incomplete.GetProperty("status").GetString());
        Assert.Equal("max_output_tokens", incomplete.GetProperty("incomplete_details").GetProperty("reason").GetString());
        Assert.Equal(2, incomplete.GetProperty("usage").GetProperty("output_tokens").GetInt32());
    }

    [Theory]
    [InlineData("", "server_error")]
    [InlineData(" fake:error_type=rate_limit_exceeded", "rate_limit_exceeded")]
    public async Task Stream_ErrorAfterKnob_EndsWithResponseFailed(string directive, string code)
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await PostAsync(client, FakeHttp.ResponsesBody("Hi fake:error_after=2" + directive, stream: true));
        var (events, error) = await FakeHttp.ReadNamedEventsAsync(response);

        Assert.Null(error);
        Assert.Equal(
            ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
                "response.output_text.delta", "response.output_text.delta", "response.failed"],
            events.Select(e => e.Name));
        Assert.Equal(6, events[^1].Data.GetProperty("sequence_number").GetInt32());
        var failed = events[^1].Data.GetProperty("response");
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal(code, failed.GetProperty("error").GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(failed.GetProperty("error").GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.Null, failed.GetProperty("usage").ValueKind);
        await FakeHttp.WaitUntilAsync(() => server.Stats.FailedFor("openai") == 1);
    }

    [Fact]
    public async Task Stream_ErrorEventKnob_EndsWithTheErrorEvent()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await PostAsync(client, FakeHttp.ResponsesBody("Hi fake:error_after=1 fake:error_event=error", stream: true));
        var (events, error) = await FakeHttp.ReadNamedEventsAsync(response);

        Assert.Null(error);
        Assert.Equal("response.output_text.delta", events[^2].Name);
        Assert.Equal("error", events[^1].Name);
        var failure = events[^1].Data;
        Assert.Equal("server_error", failure.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(failure.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.Null, failure.GetProperty("param").ValueKind);
        Assert.Equal(events.Count - 1, failure.GetProperty("sequence_number").GetInt32());
    }

    [Fact]
    public async Task Stream_CutAfterKnob_AbortsWithoutClosingEvents()
    {
        await using var server = await FakeProviderServer.StartAsync(new FakeOptions { CutAfterChunks = 1 }).WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await PostAsync(client, FakeHttp.ResponsesBody(stream: true));
        var (events, error) = await FakeHttp.ReadNamedEventsAsync(response);

        Assert.NotNull(error);
        Assert.Equal("response.output_text.delta", events[^1].Name);
        Assert.Single(events, e => e.Name == "response.output_text.delta");
        await FakeHttp.WaitUntilAsync(() => server.Stats.Failed == 1);
    }

    [Fact]
    public async Task Create_OmitUsageKnob_UsageIsNull()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        var answer = await FakeHttp.ReadJsonAsync(await PostAsync(client, FakeHttp.ResponsesBody("Hi fake:omit_usage=true")));

        Assert.Equal("completed", answer.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("usage").ValueKind);
    }

    [Fact]
    public async Task Get_StoredResponse_ReturnsTheFinalObjectAndNotUnstoredOnes()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var streamed = await PostAsync(client, FakeHttp.ResponsesBody(stream: true));
        var (events, _) = await FakeHttp.ReadNamedEventsAsync(streamed);
        var completed = events[^1].Data.GetProperty("response");
        var unstored = await FakeHttp.ReadJsonAsync(await PostAsync(client, FakeHttp.ResponsesBody(extra: ""","store":false""")));
        using var found = await client.GetAsync(new Uri($"openai/v1/responses/{completed.GetProperty("id").GetString()}", UriKind.Relative)).WaitAsync(Timeout);
        using var missing = await client.GetAsync(new Uri($"openai/v1/responses/{unstored.GetProperty("id").GetString()}", UriKind.Relative)).WaitAsync(Timeout);
        var stored = await FakeHttp.ReadJsonAsync(found);
        var error = await FakeHttp.ReadJsonAsync(missing);

        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
        Assert.Equal(completed.GetRawText(), stored.GetRawText());
        Assert.False(unstored.GetProperty("store").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("invalid_request_error", error.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(2, server.Requests.Count(r => r.Path.StartsWith("/openai/v1/responses/resp_", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task StatusKnob_429_AnswersInOpenAIErrorFormat()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await PostAsync(client, FakeHttp.ResponsesBody(stream: true), ("x-fake-status", "429"));
        var error = await FakeHttp.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("rate_limit_exceeded", error.GetProperty("error").GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("{not json", null)]
    [InlineData("""{"input":"hi"}""", "model")]
    [InlineData("""{"model":"m","input":5}""", "input")]
    [InlineData("""{"model":"m","input":"hi","max_output_tokens":0}""", "max_output_tokens")]
    public async Task BadBody_Returns400InvalidRequestError(string body, string? param)
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server);

        using var response = await PostAsync(client, body);
        var error = await FakeHttp.ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", error.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task MissingAuthorization_Returns401()
    {
        await using var server = await FakeProviderServer.StartAsync().WaitAsync(Timeout);
        using var client = FakeHttp.CreateClient(server, bearer: null);

        using var created = await PostAsync(client, FakeHttp.ResponsesBody());
        using var fetched = await client.GetAsync(new Uri("v1/responses/resp_x", UriKind.Relative)).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.Unauthorized, created.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, fetched.StatusCode);
    }
}
