using System.Text;
using System.Text.Json;
using static Tollgate.Tests.Translation.RequestTranslationTests;
using static Tollgate.Tests.Translation.TranslationFixtures;

namespace Tollgate.Tests.Translation;

/// <summary>
/// A provider's whole answer (thinking, text, a tool call; cached, cache-write and reasoning usage)
/// reaches a client of another format field by field, naming the client's model, with ids in the
/// client format's style and usage counted the client format's way.
/// </summary>
public sealed class ResponseTranslationTests
{
    private static JsonElement Translate(string provider, string client)
    {
        var result = Format(provider).ReadResponse(Encoding.UTF8.GetBytes(Answer(provider)));
        Assert.Equal(AnswerUsage(provider), result.Usage);
        return JsonDocument.Parse(Format(client).WriteResponse(result, "client-model")).RootElement.Clone();
    }

    [Theory]
    [InlineData("messages", 0)]
    [InlineData("responses", 20)]
    public void ToChat(string provider, long reasoningTokens)
    {
        var body = Translate(provider, "chat");

        Assert.Equal("chatcmpl-xyz", body.GetProperty("id").GetString());
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.Equal(Now.ToUnixTimeSeconds(), body.GetProperty("created").GetInt64());
        Assert.Equal("client-model", body.GetProperty("model").GetString());
        var choice = Assert.Single(body.GetProperty("choices").EnumerateArray());
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        var message = choice.GetProperty("message");
        Assert.Equal("assistant", message.GetProperty("role").GetString());
        Assert.Equal("Checking.", message.GetProperty("content").GetString());
        Assert.Equal("User wants weather.", message.GetProperty("reasoning_content").GetString());
        var call = Assert.Single(message.GetProperty("tool_calls").EnumerateArray());
        Assert.Equal("call_1", call.GetProperty("id").GetString());
        Assert.Equal("function", call.GetProperty("type").GetString());
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        AssertJson("""{"city":"Rome"}""", JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!).RootElement);

        // Chat counts cached and cache-write input inside prompt_tokens, reasoning inside completion_tokens.
        AssertJson($$"""
            {"prompt_tokens":100,"completion_tokens":50,"total_tokens":150,
             "prompt_tokens_details":{"cached_tokens":40},"completion_tokens_details":{"reasoning_tokens":{{reasoningTokens}} } }
            """, body.GetProperty("usage"));
    }

    [Theory]
    [InlineData("chat", "", 60, 0)]
    [InlineData("responses", "rs_9|enc-9", 60, 0)]
    public void ToMessages(string provider, string signature, long input, long cacheWrite)
    {
        var body = Translate(provider, "messages");

        Assert.Equal("msg_xyz", body.GetProperty("id").GetString());
        Assert.Equal("message", body.GetProperty("type").GetString());
        Assert.Equal("assistant", body.GetProperty("role").GetString());
        Assert.Equal("client-model", body.GetProperty("model").GetString());
        var content = body.GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(3, content.Count);
        AssertJson($$"""{"type":"thinking","thinking":"User wants weather.","signature":"{{signature}}"}""", content[0]);
        AssertJson("""{"type":"text","text":"Checking."}""", content[1]);
        AssertJson("""{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Rome"},"caller":{"type":"direct"}}""", content[2]);
        Assert.Equal("tool_use", body.GetProperty("stop_reason").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("stop_sequence").ValueKind);

        // Anthropic's input_tokens excludes cache reads and writes; output_tokens includes thinking.
        AssertJson($$"""{"input_tokens":{{input}},"cache_creation_input_tokens":{{cacheWrite}},"cache_read_input_tokens":40,"output_tokens":50}""", body.GetProperty("usage"));
    }

    [Theory]
    [InlineData("chat", null, 20)]
    [InlineData("messages", "sig-1", 0)]
    public void ToResponses(string provider, string? encrypted, long reasoningTokens)
    {
        var body = Translate(provider, "responses");

        Assert.Equal("resp_xyz", body.GetProperty("id").GetString());
        Assert.Equal("response", body.GetProperty("object").GetString());
        Assert.Equal(Now.ToUnixTimeSeconds(), body.GetProperty("created_at").GetInt64());
        Assert.Equal("completed", body.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("incomplete_details").ValueKind);
        Assert.Equal("client-model", body.GetProperty("model").GetString());
        var output = body.GetProperty("output").EnumerateArray().ToList();
        Assert.Equal(["reasoning", "message", "function_call"], output.Select(o => o.GetProperty("type").GetString()));
        Assert.StartsWith("rs_", output[0].GetProperty("id").GetString(), StringComparison.Ordinal);
        AssertJson("""[{"type":"summary_text","text":"User wants weather."}]""", output[0].GetProperty("summary"));
        Assert.Equal(encrypted, output[0].TryGetProperty("encrypted_content", out var e) ? e.GetString() : null);
        Assert.StartsWith("msg_", output[1].GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("assistant", output[1].GetProperty("role").GetString());
        Assert.Equal("completed", output[1].GetProperty("status").GetString());
        var text = Assert.Single(output[1].GetProperty("content").EnumerateArray());
        Assert.Equal("output_text", text.GetProperty("type").GetString());
        Assert.Equal("Checking.", text.GetProperty("text").GetString());
        Assert.Equal("fc_1", output[2].GetProperty("id").GetString());
        Assert.Equal("call_1", output[2].GetProperty("call_id").GetString());
        Assert.Equal("get_weather", output[2].GetProperty("name").GetString());
        Assert.Equal("completed", output[2].GetProperty("status").GetString());
        AssertJson("""{"city":"Rome"}""", JsonDocument.Parse(output[2].GetProperty("arguments").GetString()!).RootElement);

        // Responses counts cached and cache-write input inside input_tokens, reasoning inside output_tokens.
        AssertJson($$"""
            {"input_tokens":100,"input_tokens_details":{"cached_tokens":40},"output_tokens":50,
             "output_tokens_details":{"reasoning_tokens":{{reasoningTokens}} },"total_tokens":150}
            """, body.GetProperty("usage"));
    }

    [Theory]
    [InlineData("length", "max_tokens", "max_output_tokens")]
    [InlineData("content_filter", "refusal", "content_filter")]
    [InlineData("stop", "end_turn", null)]
    [InlineData("tool_calls", "tool_use", null)]
    public void StopReasons_MapBetweenFormats(string chat, string anthropic, string? incomplete)
    {
        var chatAnswer = $$"""{"id":"chatcmpl-1","choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":"{{chat}}"}]}""";
        var fromChat = Chat.ReadResponse(Encoding.UTF8.GetBytes(chatAnswer));

        var messages = JsonDocument.Parse(Messages.WriteResponse(fromChat, "m")).RootElement;
        Assert.Equal(anthropic, messages.GetProperty("stop_reason").GetString());

        var responses = JsonDocument.Parse(Responses.WriteResponse(fromChat, "m")).RootElement;
        Assert.Equal(incomplete is null ? "completed" : "incomplete", responses.GetProperty("status").GetString());
        if (incomplete is not null)
        {
            Assert.Equal(incomplete, responses.GetProperty("incomplete_details").GetProperty("reason").GetString());
        }

        // And back: Anthropic's reason read and written as Chat's.
        var back = Messages.ReadResponse(Encoding.UTF8.GetBytes(messages.GetRawText()));
        Assert.Equal(chat, JsonDocument.Parse(Chat.WriteResponse(back, "m")).RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public void StopSequence_IsStopForChat_AndCompletedForResponses_AndKeptForMessages()
    {
        const string Answer = """{"id":"msg_1","content":[{"type":"text","text":"a"}],"stop_reason":"stop_sequence","stop_sequence":"END","usage":{"input_tokens":1,"output_tokens":1}}""";
        var result = Messages.ReadResponse(Encoding.UTF8.GetBytes(Answer));

        Assert.Equal("stop", JsonDocument.Parse(Chat.WriteResponse(result, "m")).RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal("completed", JsonDocument.Parse(Responses.WriteResponse(result, "m")).RootElement.GetProperty("status").GetString());
        var messages = JsonDocument.Parse(Messages.WriteResponse(result, "m")).RootElement;
        Assert.Equal("stop_sequence", messages.GetProperty("stop_reason").GetString());
        Assert.Equal("END", messages.GetProperty("stop_sequence").GetString());
    }

    [Fact]
    public void IncompleteResponses_IsMaxTokensForMessages()
    {
        const string Answer = """{"id":"resp_1","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[{"type":"message","id":"m","role":"assistant","content":[{"type":"output_text","text":"cut"}]}],"usage":{"input_tokens":3,"output_tokens":16}}""";

        var messages = JsonDocument.Parse(Messages.WriteResponse(Responses.ReadResponse(Encoding.UTF8.GetBytes(Answer)), "m")).RootElement;

        Assert.Equal("max_tokens", messages.GetProperty("stop_reason").GetString());
        Assert.Equal("cut", messages.GetProperty("content")[0].GetProperty("text").GetString());
    }
}
