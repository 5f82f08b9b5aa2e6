using System.Text;
using System.Text.Json;
using static Tollgate.Tests.Translation.TranslationFixtures;

namespace Tollgate.Tests.Translation;

/// <summary>
/// The same conversation written by a client in one format arrives at a provider of another format
/// with every field in place: system prompt, images inline and by URL, the earlier tool call and its
/// result, the tool, tool choice, parallel calls, limit, sampling, stop sequences and reasoning.
/// </summary>
public sealed class RequestTranslationTests
{
    [Theory]
    [InlineData("messages")]
    [InlineData("responses")]
    public void ToChat_EveryFieldArrives(string client)
    {
        var body = TranslateRequest(client, "chat", Request(client));

        Assert.Equal("provider-model", body.GetProperty("model").GetString());
        var messages = body.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(5, messages.Count);
        Assert.Equal("system", messages[0].GetProperty("role").GetString());
        Assert.Equal("You are terse.", messages[0].GetProperty("content").GetString());

        Assert.Equal("user", messages[1].GetProperty("role").GetString());
        var parts = messages[1].GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(3, parts.Count);
        Assert.Equal("text", parts[0].GetProperty("type").GetString());
        Assert.Equal("What is in these?", parts[0].GetProperty("text").GetString());
        Assert.Equal("image_url", parts[1].GetProperty("type").GetString());
        Assert.Equal($"data:image/png;base64,{Png}", parts[1].GetProperty("image_url").GetProperty("url").GetString());
        Assert.Equal(ImageUrl, parts[2].GetProperty("image_url").GetProperty("url").GetString());

        var assistant = messages[2];
        Assert.Equal("assistant", assistant.GetProperty("role").GetString());
        Assert.Equal("Let me check the weather.", assistant.GetProperty("content").GetString());
        Assert.False(assistant.TryGetProperty("reasoning_content", out _)); // reasoning is not sent back to a Chat provider
        var call = Assert.Single(assistant.GetProperty("tool_calls").EnumerateArray());
        Assert.Equal("call_abc", call.GetProperty("id").GetString());
        Assert.Equal("function", call.GetProperty("type").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        AssertJson("""{"city":"Paris"}""", JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!).RootElement);

        Assert.Equal("tool", messages[3].GetProperty("role").GetString());
        Assert.Equal("call_abc", messages[3].GetProperty("tool_call_id").GetString());
        Assert.Equal("18C and sunny", messages[3].GetProperty("content").GetString());
        Assert.Equal("user", messages[4].GetProperty("role").GetString());
        Assert.Equal("Thanks. And tomorrow?", messages[4].GetProperty("content").GetString());

        var tool = Assert.Single(body.GetProperty("tools").EnumerateArray());
        Assert.Equal("function", tool.GetProperty("type").GetString());
        Assert.Equal("get_weather", tool.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("Weather for a city", tool.GetProperty("function").GetProperty("description").GetString());
        AssertJson(Schema, tool.GetProperty("function").GetProperty("parameters"));
        Assert.Equal("auto", body.GetProperty("tool_choice").GetString());
        Assert.False(body.GetProperty("parallel_tool_calls").GetBoolean());
        Assert.Equal(8000, body.GetProperty("max_completion_tokens").GetInt64());
        Assert.Equal(0.5, body.GetProperty("temperature").GetDouble());
        Assert.Equal(0.9, body.GetProperty("top_p").GetDouble());
        Assert.Equal("medium", body.GetProperty("reasoning_effort").GetString()); // effort medium, or a 4,096-token budget
        Assert.True(body.GetProperty("stream").GetBoolean());
        Assert.True(body.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        if (client == "messages")
        {
            Assert.Equal(["END"], body.GetProperty("stop").EnumerateArray().Select(s => s.GetString()));
        }
        else
        {
            Assert.False(body.TryGetProperty("stop", out _));
        }
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("responses")]
    public void ToMessages_EveryFieldArrives(string client)
    {
        var body = TranslateRequest(client, "messages", Request(client));

        Assert.Equal("provider-model", body.GetProperty("model").GetString());
        Assert.Equal(8000, body.GetProperty("max_tokens").GetInt64());
        var system = Assert.Single(body.GetProperty("system").EnumerateArray());
        Assert.Equal("text", system.GetProperty("type").GetString());
        Assert.Equal("You are terse.", system.GetProperty("text").GetString());

        var messages = body.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant", "user"], messages.Select(m => m.GetProperty("role").GetString()));
        var first = messages[0].GetProperty("content").EnumerateArray().ToList();
        Assert.Equal("What is in these?", first[0].GetProperty("text").GetString());
        Assert.Equal("image", first[1].GetProperty("type").GetString());
        AssertJson($$"""{"type":"base64","media_type":"image/png","data":"{{Png}}"}""", first[1].GetProperty("source"));
        AssertJson($$"""{"type":"url","url":"{{ImageUrl}}"}""", first[2].GetProperty("source"));

        // The earlier turn's reasoning came from OpenAI (or nowhere): Anthropic cannot verify it, so it stays behind.
        var assistant = messages[1].GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(["text", "tool_use"], assistant.Select(b => b.GetProperty("type").GetString()));
        Assert.Equal("Let me check the weather.", assistant[0].GetProperty("text").GetString());
        Assert.Equal("call_abc", assistant[1].GetProperty("id").GetString());
        Assert.Equal("get_weather", assistant[1].GetProperty("name").GetString());
        AssertJson("""{"city":"Paris"}""", assistant[1].GetProperty("input"));

        // The tool result and the next question share one user turn, the result first.
        var last = messages[2].GetProperty("content").EnumerateArray().ToList();
        Assert.Equal("tool_result", last[0].GetProperty("type").GetString());
        Assert.Equal("call_abc", last[0].GetProperty("tool_use_id").GetString());
        Assert.Equal("18C and sunny", last[0].GetProperty("content").GetString());
        Assert.False(last[0].TryGetProperty("is_error", out _));
        Assert.Equal("Thanks. And tomorrow?", last[1].GetProperty("text").GetString());

        var tool = Assert.Single(body.GetProperty("tools").EnumerateArray());
        Assert.Equal("get_weather", tool.GetProperty("name").GetString());
        Assert.Equal("Weather for a city", tool.GetProperty("description").GetString());
        AssertJson(Schema, tool.GetProperty("input_schema"));
        AssertJson("""{"type":"auto","disable_parallel_tool_use":true}""", body.GetProperty("tool_choice"));
        Assert.Equal(0.5, body.GetProperty("temperature").GetDouble());
        Assert.Equal(0.9, body.GetProperty("top_p").GetDouble());
        AssertJson("""{"type":"adaptive"}""", body.GetProperty("thinking")); // effort medium
        AssertJson("""{"effort":"medium"}""", body.GetProperty("output_config"));
        Assert.True(body.GetProperty("stream").GetBoolean());
        if (client == "chat")
        {
            Assert.Equal(["END"], body.GetProperty("stop_sequences").EnumerateArray().Select(s => s.GetString()));
        }
        else
        {
            Assert.False(body.TryGetProperty("stop_sequences", out _));
        }
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("messages")]
    public void ToResponses_EveryFieldArrives(string client)
    {
        var body = TranslateRequest(client, "responses", Request(client, stop: false));

        Assert.Equal("provider-model", body.GetProperty("model").GetString());
        Assert.Equal("You are terse.", body.GetProperty("instructions").GetString());
        var input = body.GetProperty("input").EnumerateArray().ToList();
        Assert.Equal(["message", "message", "function_call", "function_call_output", "message"], input.Select(i => i.GetProperty("type").GetString()));

        Assert.Equal("user", input[0].GetProperty("role").GetString());
        var parts = input[0].GetProperty("content").EnumerateArray().ToList();
        AssertJson("""{"type":"input_text","text":"What is in these?"}""", parts[0]);
        AssertJson($$"""{"type":"input_image","image_url":"data:image/png;base64,{{Png}}","detail":"auto"}""", parts[1]);
        AssertJson($$"""{"type":"input_image","image_url":"{{ImageUrl}}","detail":"auto"}""", parts[2]);

        // Anthropic's signed thinking cannot be verified by OpenAI: it stays behind.
        Assert.Equal("assistant", input[1].GetProperty("role").GetString());
        var text = Assert.Single(input[1].GetProperty("content").EnumerateArray());
        Assert.Equal("output_text", text.GetProperty("type").GetString());
        Assert.Equal("Let me check the weather.", text.GetProperty("text").GetString());
        Assert.Equal("call_abc", input[2].GetProperty("call_id").GetString());
        Assert.Equal("get_weather", input[2].GetProperty("name").GetString());
        AssertJson("""{"city":"Paris"}""", JsonDocument.Parse(input[2].GetProperty("arguments").GetString()!).RootElement);
        Assert.Equal("call_abc", input[3].GetProperty("call_id").GetString());
        Assert.Equal("18C and sunny", input[3].GetProperty("output").GetString());
        Assert.Equal("user", input[4].GetProperty("role").GetString());
        AssertJson("""[{"type":"input_text","text":"Thanks. And tomorrow?"}]""", input[4].GetProperty("content"));

        var tool = Assert.Single(body.GetProperty("tools").EnumerateArray());
        Assert.Equal("function", tool.GetProperty("type").GetString());
        Assert.Equal("get_weather", tool.GetProperty("name").GetString());
        Assert.Equal("Weather for a city", tool.GetProperty("description").GetString());
        AssertJson(Schema, tool.GetProperty("parameters"));
        Assert.False(tool.GetProperty("strict").GetBoolean());
        Assert.Equal("auto", body.GetProperty("tool_choice").GetString());
        Assert.False(body.GetProperty("parallel_tool_calls").GetBoolean());
        Assert.Equal(8000, body.GetProperty("max_output_tokens").GetInt64());
        Assert.Equal(0.5, body.GetProperty("temperature").GetDouble());
        Assert.Equal(0.9, body.GetProperty("top_p").GetDouble());
        Assert.Equal("medium", body.GetProperty("reasoning").GetProperty("effort").GetString());
        Assert.Equal(["reasoning.encrypted_content"], body.GetProperty("include").EnumerateArray().Select(s => s.GetString()));
        Assert.True(body.GetProperty("stream").GetBoolean());
        Assert.False(body.TryGetProperty("stop", out _));
    }

    [Fact]
    public void MessagesToMessages_SignedThinkingGoesBack()
    {
        var body = TranslateRequest("messages", "messages", MessagesRequest());

        var assistant = body.GetProperty("messages")[1].GetProperty("content")[0];
        AssertJson("""{"type":"thinking","thinking":"Need the weather.","signature":"sig-anthropic"}""", assistant);
    }

    [Fact]
    public void ResponsesToResponses_ReasoningItemGoesBackWithItsIdAndEncryptedContent()
    {
        var body = TranslateRequest("responses", "responses", ResponsesRequest());

        AssertJson("""{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Need the weather."}],"encrypted_content":"enc-openai"}""", body.GetProperty("input")[1]);
    }

    [Fact]
    public void AnthropicThinking_ThroughAResponsesClient_ReturnsToAnthropicSigned()
    {
        // An Anthropic answer with thinking goes to a Responses client as a reasoning item...
        var answer = JsonDocument.Parse(Responses.WriteResponse(Messages.ReadResponse(Encoding.UTF8.GetBytes(MessagesAnswer)), "client-model")).RootElement;
        var reasoning = answer.GetProperty("output")[0];
        Assert.Equal("reasoning", reasoning.GetProperty("type").GetString());
        Assert.StartsWith("rs_", reasoning.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("sig-1", reasoning.GetProperty("encrypted_content").GetString());

        // ...which the client sends back in its next turn, and Anthropic receives its own signed thinking.
        var next = $$"""
            {"model":"m","input":[{"role":"user","content":"Weather in Rome?"},{{reasoning.GetRawText()}},
              {{answer.GetProperty("output")[2].GetRawText()}},{"type":"function_call_output","call_id":"call_1","output":"20C"}]}
            """;
        var body = TranslateRequest("responses", "messages", next);

        var assistant = body.GetProperty("messages")[1].GetProperty("content").EnumerateArray().ToList();
        AssertJson("""{"type":"thinking","thinking":"User wants weather.","signature":"sig-1"}""", assistant[0]);
        Assert.Equal("tool_use", assistant[1].GetProperty("type").GetString());
    }

    [Fact]
    public void OpenAIReasoning_ThroughAMessagesClient_ReturnsToOpenAIWithItsId()
    {
        var answer = JsonDocument.Parse(Messages.WriteResponse(Responses.ReadResponse(Encoding.UTF8.GetBytes(ResponsesAnswer)), "client-model")).RootElement;
        var thinking = answer.GetProperty("content")[0];
        Assert.Equal("thinking", thinking.GetProperty("type").GetString());

        var next = $$"""
            {"model":"m","max_tokens":1000,"messages":[{"role":"user","content":"Weather in Rome?"},
              {"role":"assistant","content":{{answer.GetProperty("content").GetRawText()}}},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":"20C"}]}]}
            """;
        var body = TranslateRequest("messages", "responses", next);

        var input = body.GetProperty("input").EnumerateArray().ToList();
        AssertJson("""{"type":"reasoning","id":"rs_9","summary":[{"type":"summary_text","text":"User wants weather."}],"encrypted_content":"enc-9"}""", input[1]);
        Assert.Equal("function_call", input[3].GetProperty("type").GetString());
        Assert.Equal("function_call_output", input[4].GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("minimal", "low", "low")]
    [InlineData("low", "low", "low")]
    [InlineData("medium", "medium", "medium")]
    [InlineData("high", "high", "high")]
    [InlineData("xhigh", "max", "xhigh")]
    public void Effort_BecomesAdaptiveThinkingAtThatEffort_AndBackTheSameLevel(string effort, string anthropicEffort, string back)
    {
        var chat = $$"""{"model":"m","messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"{{effort}}"}""";

        // Current Claude models take only adaptive thinking; a small output limit needs no budget below it.
        var anthropic = TranslateRequest("chat", "messages", chat, maxOutputTokens: 300);
        AssertJson("""{"type":"adaptive"}""", anthropic.GetProperty("thinking"));
        Assert.Equal(anthropicEffort, anthropic.GetProperty("output_config").GetProperty("effort").GetString());
        Assert.Equal(300, anthropic.GetProperty("max_tokens").GetInt64());

        var chatBack = TranslateRequest("messages", "chat", anthropic.GetRawText());
        Assert.Equal(back, chatBack.GetProperty("reasoning_effort").GetString());
    }

    [Theory]
    [InlineData("claude-sonnet-4-5-20250929", false)]
    [InlineData("claude-haiku-4-5@20251001", false)]
    [InlineData("global.anthropic.claude-opus-4-1-20250805-v1:0", false)]
    [InlineData("claude-sonnet-4-20250514", false)]
    [InlineData("claude-3-7-sonnet-20250219", false)]
    [InlineData("claude-sonnet-4-6", true)]
    [InlineData("claude-sonnet-5", true)]
    [InlineData("global.anthropic.claude-fable-5-v1:0", true)]
    public void Effort_ToAClaudeBefore4Point6_IsTheDocumentedBudget_ToLaterOnesAdaptive(string providerModel, bool adaptive)
    {
        var (turn, _) = Format("chat").ReadRequest("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"reasoning_effort\":\"medium\"}"u8);
        var (body, error) = Format("messages").WriteRequest(turn!, providerModel, 8000);
        Assert.Null(error);
        var thinking = JsonDocument.Parse(body!).RootElement.GetProperty("thinking");

        Assert.Equal(adaptive ? "adaptive" : "enabled", thinking.GetProperty("type").GetString());
        Assert.Equal(adaptive ? 0 : 4096, thinking.TryGetProperty("budget_tokens", out var b) ? b.GetInt64() : 0);
    }

    [Fact]
    public void EffortNone_SendsNoThinking_AndAnExplicitBudgetStaysABudget()
    {
        var none = TranslateRequest("chat", "messages", """{"model":"m","messages":[{"role":"user","content":"Hi"}],"reasoning_effort":"none"}""", maxOutputTokens: 300);
        Assert.False(none.TryGetProperty("thinking", out _));
        Assert.False(none.TryGetProperty("output_config", out _));

        var budget = TranslateRequest("messages", "messages",
            """{"model":"m","max_tokens":8000,"messages":[{"role":"user","content":"Hi"}],"thinking":{"type":"enabled","budget_tokens":2048}}""");
        AssertJson("""{"type":"enabled","budget_tokens":2048}""", budget.GetProperty("thinking"));
        Assert.False(budget.TryGetProperty("output_config", out _));
    }

    [Fact]
    public void ToolChoices_MapBetweenFormats()
    {
        static JsonElement Choice(string client, string provider, string body) => TranslateRequest(client, provider, body).GetProperty("tool_choice");
        const string Tools = """ "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}] """;

        AssertJson("""{"type":"any"}""", Choice("chat", "messages", $$"""{"model":"m","messages":[{"role":"user","content":"x"}],{{Tools}},"tool_choice":"required"}"""));
        AssertJson("""{"type":"none"}""", Choice("chat", "messages", $$"""{"model":"m","messages":[{"role":"user","content":"x"}],{{Tools}},"tool_choice":"none"}"""));
        AssertJson("""{"type":"tool","name":"f"}""", Choice("chat", "messages", """{"model":"m","messages":[{"role":"user","content":"x"}],""" + Tools + ""","tool_choice":{"type":"function","function":{"name":"f"}}}"""));
        AssertJson("""{"type":"function","name":"f"}""", Choice("chat", "responses", """{"model":"m","messages":[{"role":"user","content":"x"}],""" + Tools + ""","tool_choice":{"type":"function","function":{"name":"f"}}}"""));
        Assert.Equal("required", Choice("messages", "responses", """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"}}""").GetString());
        AssertJson("""{"type":"function","function":{"name":"f"}}""", Choice("responses", "chat", """{"model":"m","input":"x","tools":[{"type":"function","name":"f","parameters":{"type":"object"}}],"tool_choice":{"type":"function","name":"f"}}"""));
    }

    [Fact]
    public void ToolResultError_AndImagesInResults_ReachAnthropicAndResponses()
    {
        var messages = """
            {"model":"m","max_tokens":100,"messages":[{"role":"user","content":"Draw"},
             {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"draw","input":{}}]},
             {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":[{"type":"text","text":"partial"},{"type":"image","source":{"type":"url","url":"https://example.com/p.png"}}]}]}]}
            """;

        var anthropic = TranslateRequest("messages", "messages", messages);
        var result = anthropic.GetProperty("messages")[2].GetProperty("content")[0];
        Assert.True(result.GetProperty("is_error").GetBoolean());
        Assert.Equal(2, result.GetProperty("content").GetArrayLength());

        var responses = TranslateRequest("messages", "responses", messages);
        AssertJson("""[{"type":"input_text","text":"partial"},{"type":"input_image","image_url":"https://example.com/p.png","detail":"auto"}]""", responses.GetProperty("input")[2].GetProperty("output"));
    }

    [Fact]
    public void ResponsesStringInput_IsOneUserMessage()
    {
        var body = TranslateRequest("responses", "messages", """{"model":"m","input":"Hello","max_output_tokens":50}""");

        AssertJson("""[{"role":"user","content":[{"type":"text","text":"Hello"}]}]""", body.GetProperty("messages"));
        Assert.Equal(8000, body.GetProperty("max_tokens").GetInt64()); // the pipeline's limit is what is sent
    }

    [Fact]
    public void ChatToolCallWithoutArguments_IsAnEmptyObjectForAnthropic()
    {
        var chat = """{"model":"m","messages":[{"role":"user","content":"x"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"now","arguments":""}}]},{"role":"tool","tool_call_id":"c1","content":"noon"}]}""";

        var body = TranslateRequest("chat", "messages", chat);

        AssertJson("""{"type":"tool_use","id":"c1","name":"now","input":{}}""", body.GetProperty("messages")[1].GetProperty("content")[0]);
    }

    [Fact]
    public void AssistantTurnWithOnlyThinking_IsLeftOutForChat()
    {
        var messages = """
            {"model":"m","max_tokens":100,"messages":[{"role":"user","content":"a"},
             {"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"s"}]},{"role":"user","content":"b"}]}
            """;

        var body = TranslateRequest("messages", "chat", messages);

        Assert.Equal(["user", "user"], body.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
    }

    internal static void AssertJson(string expected, JsonElement actual) =>
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(expected).RootElement, actual), $"expected {expected}\nactual   {actual.GetRawText()}");
}
