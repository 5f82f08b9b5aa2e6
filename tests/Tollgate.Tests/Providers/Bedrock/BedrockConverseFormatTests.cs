using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Tollgate.Catalog;
using Tollgate.FakeProviders.Bedrock;
using Tollgate.Gateway.Translation;
using Tollgate.Providers.Bedrock;

namespace Tollgate.Tests.Providers.Bedrock;

/// <summary>Converse request, answer, stream and error mapping, field by field.</summary>
public sealed class BedrockConverseFormatTests
{
    private static readonly BedrockConverseFormat Format = new();

    private static readonly JsonElement WeatherSchema =
        JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""").RootElement;

    private static ChatTurn Turn(Action<List<ChatMessage>>? more = null, ToolChoice? choice = null, Reasoning? reasoning = null, bool? parallel = null)
    {
        var messages = new List<ChatMessage>
        {
            new(ChatRole.User, [new TextPart("Weather in Paris?"), new ImagePart("image/png", "iVBORw0KGgo=", null)]),
            new(ChatRole.Assistant, [new TextPart("Checking."), new ToolCallPart("call_1", "get_weather", """{"city":"Paris"}""")]),
            new(ChatRole.Tool, [new ToolResultPart("call_1", [new TextPart("Sunny")], IsError: false)]),
            new(ChatRole.Tool, [new ToolResultPart("call_2", [new TextPart("boom")], IsError: true)]),
            new(ChatRole.User, [new TextPart("And tomorrow?")]),
        };
        more?.Invoke(messages);
        return new ChatTurn
        {
            Model = "client-model",
            System = [new TextPart("Be brief.")],
            Messages = messages,
            Tools = [new ToolDefinition("get_weather", "Weather now", WeatherSchema)],
            ToolChoice = choice,
            ParallelToolCalls = parallel,
            Temperature = 0.5,
            TopP = 0.9,
            Stop = ["END"],
            Reasoning = reasoning,
        };
    }

    private static JsonElement Write(ChatTurn turn, long? max = 500)
    {
        var (body, error) = Format.WriteRequest(turn, "global.anthropic.claude-test-v1:0", max);
        Assert.Null(error);
        return JsonDocument.Parse(body!).RootElement;
    }

    [Fact]
    public void WriteRequest_FullTurn_MapsEveryFieldToConverse()
    {
        var root = Write(Turn(choice: new ToolChoice(ToolChoiceKind.Tool, "get_weather")));

        Assert.False(root.TryGetProperty("modelId", out _)); // the model travels in the URL
        Assert.Equal("Be brief.", root.GetProperty("system")[0].GetProperty("text").GetString());
        var config = root.GetProperty("inferenceConfig");
        Assert.Equal((500, 0.5, 0.9, "END"), (config.GetProperty("maxTokens").GetInt32(), config.GetProperty("temperature").GetDouble(),
            config.GetProperty("topP").GetDouble(), config.GetProperty("stopSequences")[0].GetString()));

        var messages = root.GetProperty("messages");
        // Both tool results and the next user text share one user message.
        Assert.Equal(["user", "assistant", "user"], messages.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        var first = messages[0].GetProperty("content");
        Assert.Equal("Weather in Paris?", first[0].GetProperty("text").GetString());
        var image = first[1].GetProperty("image");
        Assert.Equal(("png", "iVBORw0KGgo="), (image.GetProperty("format").GetString(), image.GetProperty("source").GetProperty("bytes").GetString()));
        var toolUse = messages[1].GetProperty("content")[1].GetProperty("toolUse");
        Assert.Equal(("call_1", "get_weather", "Paris"), (toolUse.GetProperty("toolUseId").GetString(), toolUse.GetProperty("name").GetString(),
            toolUse.GetProperty("input").GetProperty("city").GetString()));
        var results = messages[2].GetProperty("content");
        Assert.Equal(3, results.GetArrayLength());
        var ok = results[0].GetProperty("toolResult");
        Assert.Equal(("call_1", "Sunny"), (ok.GetProperty("toolUseId").GetString(), ok.GetProperty("content")[0].GetProperty("text").GetString()));
        Assert.False(ok.TryGetProperty("status", out _));
        Assert.Equal("error", results[1].GetProperty("toolResult").GetProperty("status").GetString());
        Assert.Equal("And tomorrow?", results[2].GetProperty("text").GetString());

        var spec = root.GetProperty("toolConfig").GetProperty("tools")[0].GetProperty("toolSpec");
        Assert.Equal(("get_weather", "Weather now", "string"), (spec.GetProperty("name").GetString(), spec.GetProperty("description").GetString(),
            spec.GetProperty("inputSchema").GetProperty("json").GetProperty("properties").GetProperty("city").GetProperty("type").GetString()));
        Assert.Equal("get_weather", root.GetProperty("toolConfig").GetProperty("toolChoice").GetProperty("tool").GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("Auto", "auto")]
    [InlineData("Required", "any")]
    public void WriteRequest_ToolChoice_IsConversesChoice(string kind, string expected)
    {
        var choice = Write(Turn(choice: new ToolChoice(Enum.Parse<ToolChoiceKind>(kind)))).GetProperty("toolConfig").GetProperty("toolChoice");

        Assert.Equal(expected, Assert.Single(choice.EnumerateObject()).Name);
    }

    [Fact]
    public void WriteRequest_ThinkingBudget_GoesInAdditionalModelRequestFields()
    {
        var thinking = Write(Turn(reasoning: new Reasoning(null, 2048)), max: 4096).GetProperty("additionalModelRequestFields").GetProperty("thinking");

        Assert.Equal(("enabled", 2048), (thinking.GetProperty("type").GetString(), thinking.GetProperty("budget_tokens").GetInt32()));
    }

    [Fact]
    public void WriteRequest_Effort_IsAdaptiveThinkingWithThatEffort()
    {
        var fields = Write(Turn(reasoning: new Reasoning("xhigh", null)), max: 300).GetProperty("additionalModelRequestFields");

        Assert.Equal("adaptive", fields.GetProperty("thinking").GetProperty("type").GetString());
        Assert.False(fields.GetProperty("thinking").TryGetProperty("budget_tokens", out _));
        Assert.Equal("max", fields.GetProperty("output_config").GetProperty("effort").GetString());
    }

    [Fact]
    public void WriteRequest_FeaturesConverseCannotExpress_Are400sNamingThem()
    {
        var byUrl = Format.WriteRequest(Turn(m => m.Add(new ChatMessage(ChatRole.User, [new ImagePart(null, null, "https://example.com/a.png")]))), "m", 100).Error;
        var parallel = Format.WriteRequest(Turn(parallel: false), "m", 100).Error;
        var none = Format.WriteRequest(Turn(choice: new ToolChoice(ToolChoiceKind.None)), "m", 100).Error;

        Assert.Equal((400, "messages"), (byUrl!.Status, byUrl.Param));
        Assert.Contains("URL", byUrl.Message, StringComparison.Ordinal);
        Assert.Equal((400, "parallel_tool_calls"), (parallel!.Status, parallel.Param));
        Assert.Equal((400, "tool_choice"), (none!.Status, none.Param));
    }

    [Fact]
    public void ReadResponse_ConverseAnswer_MapsContentStopReasonAndUsage()
    {
        var result = Format.ReadResponse("""
            {"output":{"message":{"role":"assistant","content":[
              {"reasoningContent":{"reasoningText":{"text":"hmm","signature":"sig"}}},
              {"text":"It is sunny."},
              {"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{"city":"Paris"}}}]}},
             "stopReason":"tool_use",
             "usage":{"inputTokens":11,"outputTokens":7,"totalTokens":33,"cacheReadInputTokens":10,"cacheWriteInputTokens":5},
             "metrics":{"latencyMs":12}}
            """u8);

        Assert.Equal(StopReason.ToolUse, result.StopReason);
        Assert.Equal(new TokenUsage(11, 10, 5, 7, 0), result.Usage);
        Assert.Equal(new ThinkingPart("hmm", "sig"), result.Output[0]);
        Assert.Equal(new TextPart("It is sunny."), result.Output[1]);
        var call = Assert.IsType<ToolCallPart>(result.Output[2]);
        Assert.Equal(("tooluse_1", "get_weather", "Paris"), (call.CallId, call.Name, JsonDocument.Parse(call.ArgumentsJson).RootElement.GetProperty("city").GetString()));
    }

    [Theory]
    [InlineData("end_turn", "EndTurn")]
    [InlineData("max_tokens", "MaxTokens")]
    [InlineData("stop_sequence", "StopSequence")]
    [InlineData("guardrail_intervened", "ContentFilter")]
    [InlineData("content_filtered", "ContentFilter")]
    [InlineData("model_context_window_exceeded", "MaxTokens")]
    public void ReadResponse_StopReasons_Map(string reason, string expected)
    {
        Assert.Equal(Enum.Parse<StopReason>(expected), Format.ReadResponse(Encoding.UTF8.GetBytes("""{"output":{"message":{"role":"assistant","content":[]}},"stopReason":""" + JsonSerializer.Serialize(reason) + "}")).StopReason);
    }

    [Fact]
    public void Decoder_ConverseStream_MapsEveryEventAndEndsAtMetadata()
    {
        var output = new ArrayBufferWriter<byte>();
        void Event(string type, string json) => EventStreamWriter.Event(output, type, Encoding.UTF8.GetBytes(json));
        Event("messageStart", """{"role":"assistant","p":"ab"}""");
        Event("contentBlockDelta", """{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"think"}}}""");
        Event("contentBlockDelta", """{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"sig"}}}""");
        Event("contentBlockStop", """{"contentBlockIndex":0}""");
        Event("contentBlockDelta", """{"contentBlockIndex":1,"delta":{"text":"Hi"}}""");
        Event("contentBlockStop", """{"contentBlockIndex":1}""");
        Event("contentBlockStart", """{"contentBlockIndex":2,"start":{"toolUse":{"toolUseId":"tu_1","name":"get_weather"}}}""");
        Event("contentBlockDelta", """{"contentBlockIndex":2,"delta":{"toolUse":{"input":"{\"city\":"}}}""");
        Event("contentBlockDelta", """{"contentBlockIndex":2,"delta":{"toolUse":{"input":"\"Paris\"}"}}}""");
        Event("contentBlockStop", """{"contentBlockIndex":2}""");
        Event("messageStop", """{"stopReason":"tool_use"}""");
        Event("metadata", """{"usage":{"inputTokens":3,"outputTokens":9,"totalTokens":16,"cacheReadInputTokens":4,"cacheWriteInputTokens":0},"metrics":{"latencyMs":5}}""");
        var decoder = new BedrockConverseStreamDecoder();
        var events = new List<StreamEvent>();

        var messages = Split(output.WrittenSpan.ToArray());
        foreach (var message in messages[..^1])
        {
            decoder.Decode(message, events);
        }

        Assert.False(decoder.Completed); // messageStop comes before the usage: not the end yet
        decoder.Decode(messages[^1], events);

        Assert.True(decoder.Completed);
        Assert.Null(decoder.Failure);
        Assert.Equal(new TokenUsage(3, 4, 0, 9, 0), decoder.Usage);
        Assert.IsType<StreamStarted>(events[0]);
        Assert.Equal<StreamEvent>(
            [new ThinkingStarted(0), new ThinkingDelta(0, "think", null), new ThinkingDelta(0, null, "sig"), new BlockStopped(0),
             new TextStarted(1), new TextDelta(1, "Hi"), new BlockStopped(1),
             new ToolCallStarted(2, "tu_1", "get_weather"), new ToolArgumentsDelta(2, "{\"city\":"), new ToolArgumentsDelta(2, "\"Paris\"}"), new BlockStopped(2),
             new StreamFinished(StopReason.ToolUse, null, new TokenUsage(3, 4, 0, 9, 0))],
            events[1..]);
    }

    [Theory]
    [InlineData("modelStreamErrorException", 502)]
    [InlineData("throttlingException", 429)]
    [InlineData("validationException", 400)]
    [InlineData("internalServerException", 500)]
    [InlineData("serviceUnavailableException", 503)]
    public void Decoder_ExceptionMessage_IsTheStreamsFailureWithItsStatus(string exception, int status)
    {
        var output = new ArrayBufferWriter<byte>();
        EventStreamWriter.Event(output, "messageStart", """{"role":"assistant"}"""u8);
        EventStreamWriter.Exception(output, exception, """{"message":"it broke"}"""u8);
        var decoder = new BedrockConverseStreamDecoder();
        var events = new List<StreamEvent>();

        foreach (var message in Split(output.WrittenSpan.ToArray()))
        {
            decoder.Decode(message, events);
        }

        Assert.False(decoder.Completed);
        Assert.Equal((status, exception), (decoder.Failure!.Status, decoder.Failure.Code));
        Assert.Contains("it broke", decoder.Failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(429, "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", 429, "rate_limit_error")]
    [InlineData(400, "ValidationException", 400, "invalid_request_error")]
    [InlineData(403, "AccessDeniedException", 403, "permission_error")]
    [InlineData(429, "ModelNotReadyException", 503, "upstream_error")]
    [InlineData(503, "ServiceUnavailableException", 503, "upstream_error")]
    [InlineData(500, "InternalServerException", 500, "upstream_error")]
    [InlineData(403, "SignatureDoesNotMatch", 403, "permission_error")]
    public void ErrorAnswer_ErrorTypeHeader_MapsToStatusAndKind(int upstream, string header, int status, string type)
    {
        using var response = new HttpResponseMessage();
        response.Headers.TryAddWithoutValidation("x-amzn-ErrorType", header);

        var error = BedrockErrors.FromResponse(upstream, """{"message":"Bedrock says no"}"""u8.ToArray(), response.Headers);

        Assert.Equal((status, type, header.Split(':')[0]), (error.Status, error.Type, error.Code));
        Assert.Equal("Bedrock: Bedrock says no", error.Message);
    }

    [Fact]
    public void BaseUrl_AwsHostFollowsTheCredentialsRegion_OtherHostsStay()
    {
        var aws = new Tollgate.Providers.ProviderEndpoint("bedrock", Tollgate.Providers.ProviderProtocol.Bedrock, "https://bedrock-runtime.us-east-1.amazonaws.com", null, true);
        var proxy = aws with { BaseUrl = "http://127.0.0.1:5000/bedrock" };

        Assert.Equal("https://bedrock-runtime.eu-central-1.amazonaws.com", BedrockConverseAdapter.BaseUrl(aws, "eu-central-1"));
        Assert.Equal("http://127.0.0.1:5000/bedrock", BedrockConverseAdapter.BaseUrl(proxy, "eu-central-1"));
    }

    private static List<byte[]> Split(byte[] frames)
    {
        var messages = new List<byte[]>();
        for (var at = 0; at < frames.Length;)
        {
            var length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(frames.AsSpan(at));
            messages.Add(frames[at..(at + length)]);
            at += length;
        }

        return messages;
    }
}
