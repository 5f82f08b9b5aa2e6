using System.Buffers;
using System.Text;
using System.Text.Json;
using Tollgate.Catalog;
using Tollgate.Gateway.Translation;

namespace Tollgate.Tests.Translation;

/// <summary>
/// The same conversation in each wire format — a system prompt, an image inline and by URL, an
/// assistant turn with a tool call, its result, a follow-up question, a tool, sampling settings, an
/// output limit and reasoning — and one provider answer (thinking, text, a tool call, with cached,
/// cache-write and reasoning usage) as JSON and as a stream, plus helpers that run a translation.
/// </summary>
internal static class TranslationFixtures
{
    public const string Png = "iVBORw0KGgo=";
    public const string ImageUrl = "https://example.com/cat.jpg";
    public const string Schema = """{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""";

    public static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    public static ChatCompletionsFormat Chat => new(new FixedTime(Now));

    public static AnthropicMessagesFormat Messages => new();

    public static ResponsesFormat Responses => new(new FixedTime(Now));

    public static IChatWireFormat Format(string name) => name switch
    {
        "chat" => Chat,
        "messages" => Messages,
        _ => Responses,
    };

    public static string ChatRequest(bool stop = true) => $$$$"""
        {"model":"client-model","messages":[
          {"role":"system","content":"You are terse."},
          {"role":"user","content":[{"type":"text","text":"What is in these?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,{{{{Png}}}}"}},{"type":"image_url","image_url":{"url":"{{{{ImageUrl}}}}","detail":"high"}}]},
          {"role":"assistant","content":"Let me check the weather.","tool_calls":[{"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
          {"role":"tool","tool_call_id":"call_abc","content":"18C and sunny"},
          {"role":"user","content":"Thanks. And tomorrow?"}],
         "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather for a city","parameters":{{{{Schema}}}}}}],
         "tool_choice":"auto","parallel_tool_calls":false,"max_completion_tokens":8000,"temperature":0.5,"top_p":0.9,{{{{(stop ? "\"stop\":[\"END\"]," : "")}}}}
         "reasoning_effort":"medium","stream":true,"stream_options":{"include_usage":true},"user":"someone"}
        """;

    public static string MessagesRequest(bool stop = true) => $$$$"""
        {"model":"client-model","max_tokens":8000,"system":[{"type":"text","text":"You are terse.","cache_control":{"type":"ephemeral"}}],
         "messages":[
          {"role":"user","content":[{"type":"text","text":"What is in these?"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"{{{{Png}}}}"}},{"type":"image","source":{"type":"url","url":"{{{{ImageUrl}}}}"}}]},
          {"role":"assistant","content":[{"type":"thinking","thinking":"Need the weather.","signature":"sig-anthropic"},{"type":"text","text":"Let me check the weather."},{"type":"tool_use","id":"call_abc","name":"get_weather","input":{"city":"Paris"}}]},
          {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_abc","content":"18C and sunny"},{"type":"text","text":"Thanks. And tomorrow?"}]}],
         "tools":[{"name":"get_weather","description":"Weather for a city","input_schema":{{{{Schema}}}}}],
         "tool_choice":{"type":"auto","disable_parallel_tool_use":true},"temperature":0.5,"top_p":0.9,{{{{(stop ? "\"stop_sequences\":[\"END\"]," : "")}}}}
         "thinking":{"type":"enabled","budget_tokens":4096},"stream":true,"metadata":{"user_id":"someone"}}
        """;

    public static string ResponsesRequest() => $$$$"""
        {"model":"client-model","instructions":"You are terse.","input":[
          {"role":"user","content":[{"type":"input_text","text":"What is in these?"},{"type":"input_image","image_url":"data:image/png;base64,{{{{Png}}}}","detail":"auto"},{"type":"input_image","image_url":"{{{{ImageUrl}}}}"}]},
          {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Need the weather."}],"encrypted_content":"enc-openai"},
          {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Let me check the weather.","annotations":[]}]},
          {"type":"function_call","call_id":"call_abc","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
          {"type":"function_call_output","call_id":"call_abc","output":"18C and sunny"},
          {"role":"user","content":"Thanks. And tomorrow?"}],
         "tools":[{"type":"function","name":"get_weather","description":"Weather for a city","parameters":{{{{Schema}}}},"strict":false}],
         "tool_choice":"auto","parallel_tool_calls":false,"max_output_tokens":8000,"temperature":0.5,"top_p":0.9,
         "reasoning":{"effort":"medium","summary":"auto"},"stream":true,"store":false,"include":["reasoning.encrypted_content"]}
        """;

    public static string Request(string format, bool stop = true) => format switch
    {
        "chat" => ChatRequest(stop),
        "messages" => MessagesRequest(stop),
        _ => ResponsesRequest(),
    };

    // :: Provider answers: thinking, text and a tool call; usage with cached, cache-write and reasoning tokens.

    public const string ChatAnswer = """
        {"id":"chatcmpl-xyz","object":"chat.completion","created":1764000000,"model":"provider-model","choices":[{"index":0,
          "message":{"role":"assistant","content":"Checking.","reasoning_content":"User wants weather.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\"}"}}]},
          "finish_reason":"tool_calls"}],
         "usage":{"prompt_tokens":100,"completion_tokens":50,"total_tokens":150,"prompt_tokens_details":{"cached_tokens":40},"completion_tokens_details":{"reasoning_tokens":20}}}
        """;

    public const string MessagesAnswer = """
        {"id":"msg_xyz","type":"message","role":"assistant","model":"provider-model","content":[
          {"type":"thinking","thinking":"User wants weather.","signature":"sig-1"},
          {"type":"text","text":"Checking."},
          {"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Rome"}}],
         "stop_reason":"tool_use","stop_sequence":null,
         "usage":{"input_tokens":50,"cache_creation_input_tokens":10,"cache_read_input_tokens":40,"output_tokens":50}}
        """;

    public const string ResponsesAnswer = """
        {"id":"resp_xyz","object":"response","created_at":1764000000,"status":"completed","model":"provider-model","output":[
          {"type":"reasoning","id":"rs_9","summary":[{"type":"summary_text","text":"User wants weather."}],"encrypted_content":"enc-9"},
          {"type":"message","id":"msg_9","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Checking.","annotations":[]}]},
          {"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Rome\"}","status":"completed"}],
         "usage":{"input_tokens":100,"input_tokens_details":{"cached_tokens":40},"output_tokens":50,"output_tokens_details":{"reasoning_tokens":20},"total_tokens":150}}
        """;

    public static string Answer(string format) => format switch
    {
        "chat" => ChatAnswer,
        "messages" => MessagesAnswer,
        _ => ResponsesAnswer,
    };

    /// <summary>The internal usage each provider answer (JSON and stream) reports.</summary>
    public static TokenUsage AnswerUsage(string format) => format switch
    {
        "chat" or "responses" => new TokenUsage(60, 40, 0, 30, 20),
        _ => new TokenUsage(50, 40, 10, 50, 0),
    };

    // :: Provider streams with the same content: thinking in two deltas, text in two, arguments in three fragments.

    public static List<string> ChatStream()
    {
        static string Chunk(string delta, string finish = "null") =>
            $$"""data: {"id":"chatcmpl-xyz","object":"chat.completion.chunk","created":1764000000,"model":"provider-model","choices":[{"index":0,"delta":{{delta}},"finish_reason":{{finish}}}],"usage":null}""" + "\n\n";
        return
        [
            Chunk("""{"role":"assistant","content":""}"""),
            Chunk("""{"reasoning_content":"User wants "}"""),
            Chunk("""{"reasoning_content":"weather."}"""),
            Chunk("""{"content":"Check"}"""),
            Chunk("""{"content":"ing."}"""),
            Chunk("""{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"ty\":\"Ro"}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"me\"}"}}]}"""),
            Chunk("{}", "\"tool_calls\""),
            """data: {"id":"chatcmpl-xyz","object":"chat.completion.chunk","created":1764000000,"model":"provider-model","choices":[],"usage":{"prompt_tokens":100,"completion_tokens":50,"total_tokens":150,"prompt_tokens_details":{"cached_tokens":40},"completion_tokens_details":{"reasoning_tokens":20}}}""" + "\n\n",
            "data: [DONE]\n\n",
        ];
    }

    public static List<string> MessagesStream()
    {
        static string Event(string type, string json) => $"event: {type}\ndata: {json}\n\n";
        return
        [
            Event("message_start", """{"type":"message_start","message":{"id":"msg_xyz","type":"message","role":"assistant","model":"provider-model","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":50,"cache_creation_input_tokens":10,"cache_read_input_tokens":40,"output_tokens":1}}}"""),
            Event("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"""),
            Event("ping", """{"type":"ping"}"""),
            Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"User wants "}}"""),
            Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"weather."}}"""),
            Event("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig-1"}}"""),
            Event("content_block_stop", """{"type":"content_block_stop","index":0}"""),
            Event("content_block_start", """{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"""),
            Event("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Check"}}"""),
            Event("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"ing."}}"""),
            Event("content_block_stop", """{"type":"content_block_stop","index":1}"""),
            Event("content_block_start", """{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"call_1","name":"get_weather","input":{}}}"""),
            Event("content_block_delta", """{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}"""),
            Event("content_block_delta", """{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"ci"}}"""),
            Event("content_block_delta", """{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"ty\":\"Ro"}}"""),
            Event("content_block_delta", """{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"me\"}"}}"""),
            Event("content_block_stop", """{"type":"content_block_stop","index":2}"""),
            Event("message_delta", """{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":50}}"""),
            Event("message_stop", """{"type":"message_stop"}"""),
        ];
    }

    public static List<string> ResponsesStream()
    {
        var seq = 0;
        string Event(string type, string fields) => $"event: {type}\ndata: {{\"type\":\"{type}\",{fields[1..^1]},\"sequence_number\":{seq++}}}\n\n";
        const string InProgress = """{"id":"resp_xyz","object":"response","created_at":1764000000,"status":"in_progress","model":"provider-model","output":[],"usage":null}""";
        const string Completed = """{"id":"resp_xyz","object":"response","created_at":1764000000,"status":"completed","model":"provider-model","output":[{"type":"reasoning","id":"rs_9","summary":[{"type":"summary_text","text":"User wants weather."}],"encrypted_content":"enc-9"},{"type":"message","id":"msg_9","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Checking.","annotations":[]}]},{"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Rome\"}","status":"completed"}],"usage":{"input_tokens":100,"input_tokens_details":{"cached_tokens":40},"output_tokens":50,"output_tokens_details":{"reasoning_tokens":20},"total_tokens":150}}""";
        return
        [
            Event("response.created", $"{{\"response\":{InProgress}}}"),
            Event("response.in_progress", $"{{\"response\":{InProgress}}}"),
            Event("response.output_item.added", """{"output_index":0,"item":{"id":"rs_9","type":"reasoning","summary":[]}}"""),
            Event("response.reasoning_summary_part.added", """{"item_id":"rs_9","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":""}}"""),
            Event("response.reasoning_summary_text.delta", """{"item_id":"rs_9","output_index":0,"summary_index":0,"delta":"User wants "}"""),
            Event("response.reasoning_summary_text.delta", """{"item_id":"rs_9","output_index":0,"summary_index":0,"delta":"weather."}"""),
            Event("response.reasoning_summary_text.done", """{"item_id":"rs_9","output_index":0,"summary_index":0,"text":"User wants weather."}"""),
            Event("response.reasoning_summary_part.done", """{"item_id":"rs_9","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":"User wants weather."}}"""),
            Event("response.output_item.done", """{"output_index":0,"item":{"id":"rs_9","type":"reasoning","summary":[{"type":"summary_text","text":"User wants weather."}],"encrypted_content":"enc-9"}}"""),
            Event("response.output_item.added", """{"output_index":1,"item":{"id":"msg_9","type":"message","status":"in_progress","content":[],"role":"assistant"}}"""),
            Event("response.content_part.added", """{"item_id":"msg_9","output_index":1,"content_index":0,"part":{"type":"output_text","annotations":[],"text":""}}"""),
            Event("response.output_text.delta", """{"item_id":"msg_9","output_index":1,"content_index":0,"delta":"Check","logprobs":[]}"""),
            Event("response.output_text.delta", """{"item_id":"msg_9","output_index":1,"content_index":0,"delta":"ing.","logprobs":[]}"""),
            Event("response.output_text.done", """{"item_id":"msg_9","output_index":1,"content_index":0,"text":"Checking.","logprobs":[]}"""),
            Event("response.content_part.done", """{"item_id":"msg_9","output_index":1,"content_index":0,"part":{"type":"output_text","annotations":[],"text":"Checking."}}"""),
            Event("response.output_item.done", """{"output_index":1,"item":{"id":"msg_9","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"text":"Checking."}],"role":"assistant"}}"""),
            Event("response.output_item.added", """{"output_index":2,"item":{"id":"fc_1","type":"function_call","status":"in_progress","arguments":"","call_id":"call_1","name":"get_weather"}}"""),
            Event("response.function_call_arguments.delta", """{"item_id":"fc_1","output_index":2,"delta":"{\"ci"}"""),
            Event("response.function_call_arguments.delta", """{"item_id":"fc_1","output_index":2,"delta":"ty\":\"Ro"}"""),
            Event("response.function_call_arguments.delta", """{"item_id":"fc_1","output_index":2,"delta":"me\"}"}"""),
            Event("response.function_call_arguments.done", """{"item_id":"fc_1","output_index":2,"name":"get_weather","arguments":"{\"city\":\"Rome\"}"}"""),
            Event("response.output_item.done", """{"output_index":2,"item":{"id":"fc_1","type":"function_call","status":"completed","arguments":"{\"city\":\"Rome\"}","call_id":"call_1","name":"get_weather"}}"""),
            Event("response.completed", $"{{\"response\":{Completed}}}"),
        ];
    }

    public static List<string> Stream(string format) => format switch
    {
        "chat" => ChatStream(),
        "messages" => MessagesStream(),
        _ => ResponsesStream(),
    };

    /// <summary>A clock stopped at one instant.</summary>
    public sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    // :: Running translations.

    /// <summary>Client request → internal → provider request, parsed.</summary>
    public static JsonElement TranslateRequest(string client, string provider, string body, long? maxOutputTokens = 8000)
    {
        var (turn, error) = Format(client).ReadRequest(Encoding.UTF8.GetBytes(body));
        Assert.Null(error);
        var (upstream, writeError) = Format(provider).WriteRequest(turn!, "provider-model", maxOutputTokens);
        Assert.Null(writeError);
        return JsonDocument.Parse(upstream!).RootElement.Clone();
    }

    /// <summary>A provider stream decoded and re-encoded for the client, as the text the client receives.</summary>
    public static (string ClientStream, IStreamDecoder Decoder, List<StreamEvent> Internal) TranslateStream(string provider, string client, IEnumerable<string> events, ChatTurn? request = null)
    {
        request ??= Format(client).ReadRequest(Encoding.UTF8.GetBytes(Request(client, stop: false))).Turn!;
        var decoder = Format(provider).CreateDecoder();
        var encoder = Format(client).CreateEncoder("client-model", request);
        var output = new ArrayBufferWriter<byte>();
        var events2 = new List<StreamEvent>();
        var all = new List<StreamEvent>();
        StreamFinished? finish = null;
        foreach (var ev in events)
        {
            events2.Clear();
            decoder.Decode(Encoding.UTF8.GetBytes(ev), events2);
            foreach (var e in events2)
            {
                all.Add(e);
                if (e is StreamFinished f)
                {
                    finish = f;
                }

                encoder.Encode(e, output);
            }
        }

        Assert.NotNull(finish);
        output.Write(encoder.Complete(finish with { Usage = decoder.Usage }));
        return (Encoding.UTF8.GetString(output.WrittenSpan), decoder, all);
    }

    /// <summary>A server-sent event stream split into (event name, data JSON) pairs; [DONE] as data "[DONE]".</summary>
    public static List<(string? Event, string Data)> ParseSse(string stream)
    {
        var result = new List<(string?, string)>();
        foreach (var block in stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? name = null;
            string? data = null;
            foreach (var line in block.Split('\n'))
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    Assert.Null(data); // one data line per event
                    data = line[6..];
                }
            }

            Assert.NotNull(data);
            result.Add((name, data));
        }

        return result;
    }
}
