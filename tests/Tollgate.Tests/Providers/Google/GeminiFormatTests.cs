using System.Text;
using System.Text.Json;
using Tollgate.Catalog;
using Tollgate.Gateway.Translation;
using Tollgate.Providers.Google;

namespace Tollgate.Tests.Providers.Google;

/// <summary>The Gemini wire format: request fields, answers, streams, usage, finish reasons and errors, field by field.</summary>
public sealed class GeminiFormatTests
{
    private const string Png = "iVBORw0KGgo=";
    private static readonly JsonElement Schema = JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}""").RootElement;

    private static ChatTurn Conversation(Reasoning? reasoning = null, ToolChoice? choice = null) => new()
    {
        Model = "client-model",
        System = [new TextPart("You are terse.")],
        Messages =
        [
            new ChatMessage(ChatRole.User, [new TextPart("What is this?"), new ImagePart("image/png", Png, null), new ImagePart(null, null, "data:image/jpeg;base64,/9j/")]),
            new ChatMessage(ChatRole.Assistant, [new ThinkingPart("hmm", "sig-other"), new TextPart("Checking."), new ToolCallPart("call_7", "get_weather", """{"city":"Paris"}""")]),
            new ChatMessage(ChatRole.Tool, [new ToolResultPart("call_7", [new TextPart("18C and sunny")], IsError: false)]),
            new ChatMessage(ChatRole.User, [new TextPart("And tomorrow?")]),
        ],
        Tools = [new ToolDefinition("get_weather", "Weather for a city", Schema)],
        ToolChoice = choice,
        Temperature = 0.5,
        TopP = 0.9,
        Stop = ["END"],
        Reasoning = reasoning,
    };

    private static JsonElement Write(ChatTurn turn, long? max = 800)
    {
        var (body, error) = GeminiFormat.Instance.WriteRequest(turn, "gemini-upstream", max);
        Assert.Null(error);
        return JsonDocument.Parse(body!).RootElement;
    }

    [Fact]
    public void WriteRequest_Conversation_MapsEveryField()
    {
        var root = Write(Conversation(new Reasoning("medium", null), new ToolChoice(ToolChoiceKind.Tool, "get_weather")));

        Assert.False(root.TryGetProperty("model", out _)); // the model is in the URL
        Assert.Equal("You are terse.", root.GetProperty("systemInstruction").GetProperty("parts")[0].GetProperty("text").GetString());
        var contents = root.GetProperty("contents");
        Assert.Equal(["user", "model", "user"], contents.EnumerateArray().Select(c => c.GetProperty("role").GetString()!).ToArray());

        var first = contents[0].GetProperty("parts");
        Assert.Equal("What is this?", first[0].GetProperty("text").GetString());
        Assert.Equal("image/png", first[1].GetProperty("inlineData").GetProperty("mimeType").GetString());
        Assert.Equal(Png, first[1].GetProperty("inlineData").GetProperty("data").GetString());
        Assert.Equal("image/jpeg", first[2].GetProperty("inlineData").GetProperty("mimeType").GetString());
        Assert.Equal("/9j/", first[2].GetProperty("inlineData").GetProperty("data").GetString());

        // The model turn: thinking from elsewhere is not sent back; text and the call are.
        var model = contents[1].GetProperty("parts");
        Assert.Equal(2, model.GetArrayLength());
        Assert.Equal("Checking.", model[0].GetProperty("text").GetString());
        var call = model[1].GetProperty("functionCall");
        Assert.Equal(("call_7", "get_weather", "Paris"), (call.GetProperty("id").GetString(), call.GetProperty("name").GetString(), call.GetProperty("args").GetProperty("city").GetString()));

        // The tool result and the next question share one user turn; the result is named after its call.
        var last = contents[2].GetProperty("parts");
        var response = last[0].GetProperty("functionResponse");
        Assert.Equal(("call_7", "get_weather"), (response.GetProperty("id").GetString(), response.GetProperty("name").GetString()));
        Assert.Equal("18C and sunny", response.GetProperty("response").GetProperty("output").GetString());
        Assert.Equal("And tomorrow?", last[1].GetProperty("text").GetString());

        var declaration = root.GetProperty("tools")[0].GetProperty("functionDeclarations")[0];
        Assert.Equal(("get_weather", "Weather for a city"), (declaration.GetProperty("name").GetString(), declaration.GetProperty("description").GetString()));
        Assert.False(declaration.GetProperty("parametersJsonSchema").GetProperty("additionalProperties").GetBoolean());
        var calling = root.GetProperty("toolConfig").GetProperty("functionCallingConfig");
        Assert.Equal("ANY", calling.GetProperty("mode").GetString());
        Assert.Equal("get_weather", calling.GetProperty("allowedFunctionNames")[0].GetString());

        var generation = root.GetProperty("generationConfig");
        Assert.Equal(800, generation.GetProperty("maxOutputTokens").GetInt64());
        Assert.Equal(0.5, generation.GetProperty("temperature").GetDouble());
        Assert.Equal(0.9, generation.GetProperty("topP").GetDouble());
        Assert.Equal("END", generation.GetProperty("stopSequences")[0].GetString());
        Assert.Equal(799, generation.GetProperty("thinkingConfig").GetProperty("thinkingBudget").GetInt64()); // medium's 4,096 shrunk below the limit
        Assert.True(generation.GetProperty("thinkingConfig").GetProperty("includeThoughts").GetBoolean());
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("auto", "AUTO")]
    [InlineData("none", "NONE")]
    [InlineData("required", "ANY")]
    public void WriteRequest_ToolChoice_MapsToFunctionCallingMode(string? choice, string? mode)
    {
        var kind = choice switch { "auto" => ToolChoiceKind.Auto, "none" => ToolChoiceKind.None, "required" => ToolChoiceKind.Required, _ => (ToolChoiceKind?)null };
        var root = Write(Conversation(choice: kind is { } k ? new ToolChoice(k) : null));

        Assert.Equal(mode, root.TryGetProperty("toolConfig", out var config) ? config.GetProperty("functionCallingConfig").GetProperty("mode").GetString() : null);
    }

    [Fact]
    public void WriteRequest_ReasoningBudgetAndNone_SetThinkingBudget()
    {
        var budget = Write(Conversation(new Reasoning(null, 2048)), max: 8000).GetProperty("generationConfig").GetProperty("thinkingConfig");
        var off = Write(Conversation(new Reasoning("none", null)), max: 8000).GetProperty("generationConfig").GetProperty("thinkingConfig");

        Assert.Equal(2048, budget.GetProperty("thinkingBudget").GetInt64());
        Assert.Equal(0, off.GetProperty("thinkingBudget").GetInt64());
        Assert.False(off.TryGetProperty("includeThoughts", out _));
    }

    [Fact]
    public void WriteRequest_ImageByUrl_IsRefusedNamingTheFeature()
    {
        var turn = new ChatTurn { Model = "m", Messages = [new ChatMessage(ChatRole.User, [new ImagePart(null, null, "https://example.com/cat.jpg")])] };

        var (body, error) = GeminiFormat.Instance.WriteRequest(turn, "gemini-upstream", 100);

        Assert.Null(body);
        Assert.Equal((400, "unsupported_feature"), (error!.Status, error.Code));
        Assert.Contains("image by URL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteRequest_ToolResultWithoutItsCall_IsRefused()
    {
        var turn = new ChatTurn { Model = "m", Messages = [new ChatMessage(ChatRole.Tool, [new ToolResultPart("call_x", [new TextPart("r")], false)])] };

        var (_, error) = GeminiFormat.Instance.WriteRequest(turn, "gemini-upstream", 100);

        Assert.Equal(400, error!.Status);
        Assert.Contains("call_x", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadResponse_TextThoughtAndCall_MapsPartsUsageAndToolUse()
    {
        var result = GeminiFormat.Instance.ReadResponse("""
            {"candidates":[{"content":{"role":"model","parts":[
               {"text":"planning","thought":true,"thoughtSignature":"c2ln"},
               {"text":"It is "},{"text":"sunny."},
               {"functionCall":{"name":"get_weather","args":{"city":"Paris"}}},
               {"functionCall":{"id":"fc_9","name":"get_time","args":{}}}]},
             "finishReason":"STOP","index":0,"safetyRatings":[]}],
             "usageMetadata":{"promptTokenCount":1000,"cachedContentTokenCount":600,"candidatesTokenCount":50,"thoughtsTokenCount":30,"toolUsePromptTokenCount":7,"totalTokenCount":1087},
             "modelVersion":"gemini-upstream","responseId":"abc123"}
            """u8);

        Assert.Equal("abc123", result.Id);
        Assert.Equal(StopReason.ToolUse, result.StopReason);
        Assert.Equal(new ThinkingPart("planning", "c2ln"), result.Output[0]);
        Assert.Equal(new TextPart("It is "), result.Output[1]);
        Assert.Equal(new TextPart("sunny."), result.Output[2]);
        Assert.Equal(("call_0", "get_weather", """{"city":"Paris"}"""), Call(result.Output[3]));
        Assert.Equal(("fc_9", "get_time", "{}"), Call(result.Output[4]));

        // Cached tokens are part of promptTokenCount; tool-use prompt tokens are input; thoughts are reasoning.
        Assert.Equal(new TokenUsage(407, 600, 0, 50, 30), result.Usage);
        Assert.Null(result.Failure);
    }

    private static (string, string, string) Call(ContentPart part) => part is ToolCallPart c ? (c.CallId, c.Name, c.ArgumentsJson) : default;

    [Fact]
    public void SignedFunctionCall_RoundTripsItsThoughtSignatureThroughTheCallId()
    {
        var answer = GeminiFormat.Instance.ReadResponse("""
            {"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Oslo"}},"thoughtSignature":"Ab+/cd=="}]},"finishReason":"STOP"}]}
            """u8);
        var call = Assert.IsType<ToolCallPart>(Assert.Single(answer.Output));
        Assert.Matches("^[A-Za-z0-9_-]+$", call.CallId); // an id every client format accepts

        var root = Write(new ChatTurn
        {
            Model = "m",
            Messages =
            [
                new ChatMessage(ChatRole.User, [new TextPart("Weather?")]),
                new ChatMessage(ChatRole.Assistant, [call]),
                new ChatMessage(ChatRole.Tool, [new ToolResultPart(call.CallId, [new TextPart("-3C")], IsError: true)]),
            ],
        });

        var sent = root.GetProperty("contents")[1].GetProperty("parts")[0];
        Assert.Equal("Ab+/cd==", sent.GetProperty("thoughtSignature").GetString());
        Assert.Equal("call_0", sent.GetProperty("functionCall").GetProperty("id").GetString());
        var result = root.GetProperty("contents")[2].GetProperty("parts")[0].GetProperty("functionResponse");
        Assert.Equal(("call_0", "get_weather", "-3C"), (result.GetProperty("id").GetString(), result.GetProperty("name").GetString(), result.GetProperty("response").GetProperty("error").GetString()));
    }

    [Theory]
    [InlineData("STOP", "EndTurn")]
    [InlineData("MAX_TOKENS", "MaxTokens")]
    [InlineData("SAFETY", "ContentFilter")]
    [InlineData("RECITATION", "ContentFilter")]
    [InlineData("BLOCKLIST", "ContentFilter")]
    [InlineData("PROHIBITED_CONTENT", "ContentFilter")]
    [InlineData("SPII", "ContentFilter")]
    [InlineData("IMAGE_SAFETY", "ContentFilter")]
    [InlineData("LANGUAGE", "ContentFilter")]
    [InlineData("OTHER", "EndTurn")]
    [InlineData("MALFORMED_FUNCTION_CALL", "EndTurn")]
    public void ReadResponse_FinishReason_MapsToStopReason(string finish, string expected)
    {
        var result = GeminiFormat.Instance.ReadResponse(Encoding.UTF8.GetBytes(
            $$$"""{"candidates":[{"content":{"role":"model","parts":[{"text":"x"}]},"finishReason":"{{{finish}}}"}]}"""));

        Assert.Equal(Enum.Parse<StopReason>(expected), result.StopReason);
    }

    [Fact]
    public void ReadResponse_BlockedPrompt_IsA400NamingTheReason()
    {
        var result = GeminiFormat.Instance.ReadResponse("""
            {"promptFeedback":{"blockReason":"SAFETY","safetyRatings":[{"category":"HARM_CATEGORY_DANGEROUS_CONTENT","probability":"HIGH"}]},
             "usageMetadata":{"promptTokenCount":12,"totalTokenCount":12}}
            """u8);

        Assert.Empty(result.Output);
        Assert.Equal((400, "prompt_blocked"), (result.Failure!.Status, result.Failure.Code));
        Assert.Contains("SAFETY", result.Failure.Message, StringComparison.Ordinal);
        Assert.Equal(new TokenUsage(12, 0, 0, 0, 0), result.Usage);
    }

    [Theory]
    [InlineData(400, "INVALID_ARGUMENT", "invalid_request_error")]
    [InlineData(401, "UNAUTHENTICATED", "authentication_error")]
    [InlineData(403, "PERMISSION_DENIED", "permission_error")]
    [InlineData(429, "RESOURCE_EXHAUSTED", "rate_limit_error")]
    [InlineData(503, "UNAVAILABLE", "api_error")]
    public void ReadError_GoogleErrorBody_KeepsStatusAndNamesGooglesStatus(int status, string google, string type)
    {
        var error = GeminiFormat.Instance.ReadError(status, Encoding.UTF8.GetBytes(
            $$$"""{"error":{"code":{{{status}}},"message":"Something specific.","status":"{{{google}}}"}}"""));

        Assert.Equal((status, type, google.ToLowerInvariant()), (error!.Status, error.Type, error.Code));
        Assert.Contains("Something specific.", error.Message, StringComparison.Ordinal);
        Assert.Null(GeminiFormat.Instance.ReadError(502, "<html>bad gateway</html>"u8));
    }

    [Fact]
    public void StreamDecoder_Chunks_BecomeBlocksAndEndAtFinishReason()
    {
        var decoder = GeminiFormat.Instance.CreateDecoder();
        var events = new List<StreamEvent>();
        string[] chunks =
        [
            """{"candidates":[{"content":{"role":"model","parts":[{"text":"think","thought":true}]}}],"usageMetadata":{"promptTokenCount":100},"responseId":"r1"}""",
            """{"candidates":[{"content":{"role":"model","parts":[{"text":"Hel"}]}}],"usageMetadata":{"promptTokenCount":100}}""",
            """{"candidates":[{"content":{"role":"model","parts":[{"text":"lo"}]}}],"usageMetadata":{"promptTokenCount":100}}""",
            """{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Oslo"}}}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":100,"cachedContentTokenCount":40,"candidatesTokenCount":9,"thoughtsTokenCount":4}}""",
        ];
        foreach (var chunk in chunks)
        {
            Assert.False(decoder.Completed);
            decoder.Decode(Encoding.UTF8.GetBytes($"data: {chunk}\r\n\r\n"), events);
        }

        Assert.True(decoder.Completed);
        Assert.Null(decoder.Failure);
        var usage = new TokenUsage(60, 40, 0, 9, 4);
        Assert.Equal(
        [
            new StreamStarted("r1", null),
            new ThinkingStarted(0), new ThinkingDelta(0, "think", null),
            new BlockStopped(0), new TextStarted(1), new TextDelta(1, "Hel"), new TextDelta(1, "lo"),
            new BlockStopped(1), new ToolCallStarted(2, "call_0", "get_weather"), new ToolArgumentsDelta(2, """{"city":"Oslo"}"""), new BlockStopped(2),
            new StreamFinished(StopReason.ToolUse, null, usage),
        ], events);
        Assert.Equal(usage, decoder.Usage);
    }

    [Fact]
    public void StreamDecoder_ErrorAndBlockedPrompt_AreFailures()
    {
        var failing = GeminiFormat.Instance.CreateDecoder();
        failing.Decode("data: {\"error\":{\"code\":503,\"message\":\"The model is overloaded.\",\"status\":\"UNAVAILABLE\"}}\n\n"u8, []);
        var blocked = GeminiFormat.Instance.CreateDecoder();
        blocked.Decode("data: {\"promptFeedback\":{\"blockReason\":\"PROHIBITED_CONTENT\"},\"usageMetadata\":{\"promptTokenCount\":5}}\n\n"u8, []);

        Assert.Equal((503, "unavailable"), (failing.Failure!.Status, failing.Failure.Code));
        Assert.Equal((400, "prompt_blocked"), (blocked.Failure!.Status, blocked.Failure.Code));
        Assert.Equal(new TokenUsage(5, 0, 0, 0, 0), blocked.Usage);
    }

    [Theory]
    [InlineData("""{"model":"claude-x","max_tokens":10,"messages":[]}""", """{"anthropic_version":"vertex-2023-10-16","max_tokens":10,"messages":[]}""")]
    [InlineData("""{"max_tokens":10,"messages":[],"model":"claude-x"}""", """{"anthropic_version":"vertex-2023-10-16","max_tokens":10,"messages":[]}""")]
    [InlineData("""{ "model" : "m" , "anthropic_version":"2023-06-01", "stream":true }""", """{"anthropic_version":"vertex-2023-10-16","stream":true}""")]
    [InlineData("""{"model":"m"}""", """{"anthropic_version":"vertex-2023-10-16"}""")]
    public void VertexBody_DropsModelAndAddsVertexVersion(string body, string expected)
    {
        var rewritten = Encoding.UTF8.GetString(VertexAnthropicAdapter.ToVertexBody(Encoding.UTF8.GetBytes(body)));

        Assert.Equal(expected.Replace(" ", ""), rewritten.Replace(" ", ""));
        using var doc = JsonDocument.Parse(rewritten); // and it is still JSON
        Assert.False(doc.RootElement.TryGetProperty("model", out _));
    }
}
