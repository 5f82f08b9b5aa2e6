using System.Text;
using static Tollgate.Tests.Translation.TranslationFixtures;

namespace Tollgate.Tests.Translation;

/// <summary>What the internal form cannot carry is a 400 that names the field, never silently dropped.</summary>
public sealed class UnsupportedFeatureTests
{
    private static void AssertRefused(string format, string body, string param, string? named = null)
    {
        var (turn, error) = Format(format).ReadRequest(Encoding.UTF8.GetBytes(body));

        Assert.Null(turn);
        Assert.NotNull(error);
        Assert.Equal(400, error.Status);
        Assert.Equal("invalid_request_error", error.Type);
        Assert.Equal(param, error.Param);
        Assert.Contains(named ?? param.Split('.', '[')[0], error.Message, StringComparison.Ordinal);
    }

    private const string ChatBase = """ "model":"m","messages":[{"role":"user","content":"x"}] """;
    private const string MessagesBase = """ "model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}] """;
    private const string ResponsesBase = """ "model":"m","input":"x" """;

    [Theory]
    [InlineData(""" "n":2 """, "n")]
    [InlineData(""" "presence_penalty":0.5 """, "presence_penalty")]
    [InlineData(""" "frequency_penalty":1 """, "frequency_penalty")]
    [InlineData(""" "logprobs":true """, "logprobs")]
    [InlineData(""" "top_logprobs":2 """, "top_logprobs")]
    [InlineData(""" "seed":7 """, "seed")]
    [InlineData(""" "logit_bias":{"50256":-100} """, "logit_bias")]
    [InlineData(""" "response_format":{"type":"json_object"} """, "response_format")]
    [InlineData(""" "modalities":["text","audio"] """, "modalities")]
    [InlineData(""" "audio":{"voice":"alloy","format":"mp3"} """, "audio")]
    [InlineData(""" "web_search_options":{} """, "web_search_options")]
    [InlineData(""" "functions":[{"name":"f"}] """, "functions")]
    [InlineData(""" "tools":[{"type":"custom","custom":{"name":"grammar"}}] """, "tools", "'custom'")]
    [InlineData(""" "some_new_field":1 """, "some_new_field")]
    public void Chat_FeaturesWithoutACounterpart(string field, string param, string? named = null) =>
        AssertRefused("chat", "{" + ChatBase + "," + field + "}", param, named);

    [Fact]
    public void Chat_AudioAndFileParts_AreRefused()
    {
        AssertRefused("chat", """{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA==","format":"wav"}}]}]}""", "messages[0].content[0].type", "'input_audio'");
        AssertRefused("chat", """{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"f"}}]}]}""", "messages[0].content[0].type", "'file'");
        AssertRefused("chat", """{"model":"m","messages":[{"role":"function","name":"f","content":"x"}]}""", "messages[0].role", "'function'");
    }

    [Theory]
    [InlineData(""" "top_k":5 """, "top_k")]
    [InlineData(""" "tools":[{"type":"web_search_20250305","name":"web_search"}] """, "tools", "'web_search_20250305'")]
    [InlineData(""" "tools":[{"type":"bash_20250124","name":"bash"}] """, "tools", "'bash_20250124'")]
    [InlineData(""" "mcp_servers":[{"type":"url","url":"https://example.com","name":"x"}] """, "mcp_servers")]
    [InlineData(""" "container":"c1" """, "container")]
    [InlineData(""" "output_config":{"format":{"type":"json_schema","schema":{}}} """, "output_config.format", "Structured output")]
    public void Messages_FeaturesWithoutACounterpart(string field, string param, string? named = null) =>
        AssertRefused("messages", "{" + MessagesBase + "," + field + "}", param, named);

    [Fact]
    public void Messages_RedactedThinkingAndDocuments_AreRefused()
    {
        AssertRefused("messages", """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"redacted_thinking","data":"abc"}]}]}""", "messages[1].content[0]", "Redacted thinking");
        AssertRefused("messages", """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"x"}}]}]}""", "messages[0].content[0].type", "'document'");
        AssertRefused("messages", """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"f"}}]}]}""", "messages[0].content[0].source.type", "'file'");
    }

    [Theory]
    [InlineData(""" "previous_response_id":"resp_1" """, "previous_response_id")]
    [InlineData(""" "conversation":"conv_1" """, "conversation")]
    [InlineData(""" "background":true """, "background", "Background")]
    [InlineData(""" "prompt":{"id":"pmpt_1"} """, "prompt")]
    [InlineData(""" "truncation":"auto" """, "truncation")]
    [InlineData(""" "max_tool_calls":3 """, "max_tool_calls")]
    [InlineData(""" "text":{"format":{"type":"json_schema","name":"x","schema":{}}} """, "text.format")]
    [InlineData(""" "tools":[{"type":"web_search"}] """, "tools", "'web_search'")]
    [InlineData(""" "tools":[{"type":"file_search","vector_store_ids":["vs"]}] """, "tools", "'file_search'")]
    [InlineData(""" "tools":[{"type":"computer_use_preview","display_width":1,"display_height":1,"environment":"linux"}] """, "tools", "'computer_use_preview'")]
    [InlineData(""" "tools":[{"type":"code_interpreter","container":{"type":"auto"}}] """, "tools", "'code_interpreter'")]
    [InlineData(""" "tools":[{"type":"mcp","server_label":"x","server_url":"https://example.com"}] """, "tools", "'mcp'")]
    public void Responses_FeaturesWithoutACounterpart(string field, string param, string? named = null) =>
        AssertRefused("responses", "{" + ResponsesBase + "," + field + "}", param, named);

    [Fact]
    public void Responses_ItemsWithoutACounterpart_AreRefused()
    {
        AssertRefused("responses", """{"model":"m","input":[{"type":"item_reference","id":"msg_1"}]}""", "input[0].type", "'item_reference'");
        AssertRefused("responses", """{"model":"m","input":[{"type":"web_search_call","id":"ws_1","status":"completed"}]}""", "input[0].type", "'web_search_call'");
        AssertRefused("responses", """{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]}""", "input[0].content[0].type", "'input_file'");
        AssertRefused("responses", """{"model":"m","input":[{"role":"user","content":[{"type":"input_image","file_id":"f"}]}]}""", "file_id", "file id");
    }

    [Fact]
    public void StopSequences_CannotBeSentToAResponsesProvider()
    {
        var (turn, _) = Chat.ReadRequest(Encoding.UTF8.GetBytes(ChatRequest(stop: true)));

        var (body, error) = Responses.WriteRequest(turn!, "provider-model", 100);

        Assert.Null(body);
        Assert.Equal(400, error?.Status);
        Assert.Equal("stop", error?.Param);
        Assert.Contains("Stop sequences", error?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ImagesInToolResults_CannotBeSentToAChatProvider()
    {
        var messages = """
            {"model":"m","max_tokens":100,"messages":[{"role":"user","content":"Draw"},
             {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"draw","input":{}}]},
             {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"image","source":{"type":"url","url":"https://example.com/p.png"}}]}]}]}
            """;
        var (turn, _) = Messages.ReadRequest(Encoding.UTF8.GetBytes(messages));

        var (body, error) = Chat.WriteRequest(turn!, "provider-model", 100);

        Assert.Null(body);
        Assert.Equal(400, error?.Status);
        Assert.Contains("Tool results other than text", error?.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThinkingBudgetAtOrAboveTheLimit_ForAnthropic_IsRefusedWhenTheClientSetIt()
    {
        // A budget the client chose (Messages → Messages translation is not used, so build the turn by hand).
        var turn = Messages.ReadRequest("""{"model":"m","max_tokens":2000,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":4096}}"""u8).Turn!;

        var (body, error) = Messages.WriteRequest(turn, "provider-model", 2000);

        Assert.Null(body);
        Assert.Equal("max_tokens", error?.Param);
    }

    [Fact]
    public void MalformedBodies_AreA400_NotAnException()
    {
        foreach (var name in new[] { "chat", "messages", "responses" })
        {
            var (_, notJson) = Format(name).ReadRequest("{\"model\":"u8);
            Assert.Equal("invalid_json", notJson?.Code);
            var (_, notObject) = Format(name).ReadRequest("[1]"u8);
            Assert.Equal("invalid_json", notObject?.Code);
            var (_, wrongType) = Format(name).ReadRequest("{\"model\":5}"u8);
            Assert.Equal("model", wrongType?.Param);
        }

        var (_, badArguments) = Messages.WriteRequest(
            Chat.ReadRequest("""{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{not json"}}]}]}"""u8).Turn!, "p", 10);
        Assert.Equal(400, badArguments?.Status);
    }

    [Fact]
    public void NonSemanticFields_AreAccepted()
    {
        Assert.Null(Chat.ReadRequest("""{"model":"m","messages":[{"role":"user","content":"x"}],"user":"u","metadata":{"a":"b"},"store":true,"service_tier":"auto","n":1,"presence_penalty":0,"logprobs":false,"response_format":{"type":"text"}}"""u8).Error);
        Assert.Null(Messages.ReadRequest("""{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}],"metadata":{"user_id":"u"},"service_tier":"auto","thinking":{"type":"disabled"}}"""u8).Error);
        Assert.Null(Responses.ReadRequest("""{"model":"m","input":"x","store":false,"metadata":{},"include":["reasoning.encrypted_content"],"truncation":"disabled","background":false,"text":{"format":{"type":"text"},"verbosity":"low"}}"""u8).Error);
    }
}
