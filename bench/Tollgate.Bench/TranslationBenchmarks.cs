using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Tollgate.Gateway.Translation;

namespace Tollgate.Bench;

/// <summary>
/// CPU cost of translation per request, for each client → provider pair: the request (client body →
/// internal form → provider body), the whole answer (provider JSON → internal → client JSON), and a
/// 20-event provider stream decoded and re-encoded for the client (with the final events). Target:
/// request + answer under 20 µs.
/// </summary>
[MemoryDiagnoser]
public class TranslationBenchmarks
{
    private const string Schema = """{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}""";

    private static readonly Dictionary<string, string> Requests = new()
    {
        ["chat"] = $$$$"""
            {"model":"client-model","messages":[{"role":"system","content":"You are a careful assistant that answers briefly and uses tools when needed."},
             {"role":"user","content":[{"type":"text","text":"What is the weather like in Paris this week? Also look at this."},{"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]},
             {"role":"assistant","content":"Let me check the weather.","tool_calls":[{"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"days\":7}"}}]},
             {"role":"tool","tool_call_id":"call_abc","content":"Monday 18C sunny, Tuesday 17C cloudy, Wednesday 15C rain, Thursday 16C cloudy, Friday 19C sunny."},
             {"role":"user","content":"Thanks. Which day is best for a walk?"}],
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather forecast for a city","parameters":{{{{Schema}}}}}}],
             "tool_choice":"auto","max_completion_tokens":4000,"temperature":0.7,"top_p":0.95,"reasoning_effort":"low","stream":false}
            """,
        ["messages"] = $$$$"""
            {"model":"client-model","max_tokens":4000,"system":[{"type":"text","text":"You are a careful assistant that answers briefly and uses tools when needed."}],
             "messages":[{"role":"user","content":[{"type":"text","text":"What is the weather like in Paris this week? Also look at this."},{"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}}]},
              {"role":"assistant","content":[{"type":"text","text":"Let me check the weather."},{"type":"tool_use","id":"call_abc","name":"get_weather","input":{"city":"Paris","days":7}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_abc","content":"Monday 18C sunny, Tuesday 17C cloudy, Wednesday 15C rain, Thursday 16C cloudy, Friday 19C sunny."},{"type":"text","text":"Thanks. Which day is best for a walk?"}]}],
             "tools":[{"name":"get_weather","description":"Weather forecast for a city","input_schema":{{{{Schema}}}}}],
             "tool_choice":{"type":"auto"},"temperature":0.7,"top_p":0.95,"thinking":{"type":"enabled","budget_tokens":1024}}
            """,
        ["responses"] = $$$$"""
            {"model":"client-model","instructions":"You are a careful assistant that answers briefly and uses tools when needed.","input":[
              {"role":"user","content":[{"type":"input_text","text":"What is the weather like in Paris this week? Also look at this."},{"type":"input_image","image_url":"https://example.com/cat.jpg"}]},
              {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Let me check the weather."}]},
              {"type":"function_call","call_id":"call_abc","name":"get_weather","arguments":"{\"city\":\"Paris\",\"days\":7}"},
              {"type":"function_call_output","call_id":"call_abc","output":"Monday 18C sunny, Tuesday 17C cloudy, Wednesday 15C rain, Thursday 16C cloudy, Friday 19C sunny."},
              {"role":"user","content":"Thanks. Which day is best for a walk?"}],
             "tools":[{"type":"function","name":"get_weather","description":"Weather forecast for a city","parameters":{{{{Schema}}}},"strict":false}],
             "tool_choice":"auto","max_output_tokens":4000,"temperature":0.7,"top_p":0.95,"reasoning":{"effort":"low"}}
            """,
    };

    private static readonly Dictionary<string, string> Answers = new()
    {
        ["chat"] = """{"id":"chatcmpl-xyz","object":"chat.completion","created":1764000000,"model":"p","choices":[{"index":0,"message":{"role":"assistant","content":"Friday looks best: 19C and sunny, the warmest and driest day of the week.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"days\":1}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":180,"completion_tokens":60,"total_tokens":240,"prompt_tokens_details":{"cached_tokens":128},"completion_tokens_details":{"reasoning_tokens":20}}}""",
        ["messages"] = """{"id":"msg_xyz","type":"message","role":"assistant","model":"p","content":[{"type":"thinking","thinking":"Friday is warmest and dry.","signature":"EqQBCkgIARABGAIiQL"},{"type":"text","text":"Friday looks best: 19C and sunny, the warmest and driest day of the week."},{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris","days":1}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":52,"cache_creation_input_tokens":0,"cache_read_input_tokens":128,"output_tokens":60}}""",
        ["responses"] = """{"id":"resp_xyz","object":"response","created_at":1764000000,"status":"completed","model":"p","output":[{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Friday is warmest and dry."}]},{"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Friday looks best: 19C and sunny, the warmest and driest day of the week.","annotations":[]}]},{"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\",\"days\":1}","status":"completed"}],"usage":{"input_tokens":180,"input_tokens_details":{"cached_tokens":128},"output_tokens":60,"output_tokens_details":{"reasoning_tokens":20},"total_tokens":240}}""",
    };

    private IChatWireFormat _client = null!;
    private IChatWireFormat _provider = null!;
    private byte[] _request = [];
    private byte[] _answer = [];
    private byte[][] _stream = [];
    private ChatTurn _turn = null!;
    private readonly ArrayBufferWriter<byte> _output = new(16384);
    private readonly List<StreamEvent> _events = new(8);

    /// <summary>client → provider.</summary>
    [Params("chat->messages", "messages->chat", "chat->responses", "responses->chat", "messages->responses", "responses->messages")]
    public string Pair { get; set; } = "chat->messages";

    [GlobalSetup]
    public void Setup()
    {
        var parts = Pair.Split("->");
        _client = Create(parts[0]);
        _provider = Create(parts[1]);
        _request = Encoding.UTF8.GetBytes(Requests[parts[0]]);
        _answer = Encoding.UTF8.GetBytes(Answers[parts[1]]);
        _stream = [.. Stream(parts[1]).Select(Encoding.UTF8.GetBytes)];
        _turn = _client.ReadRequest(_request).Turn ?? throw new InvalidOperationException("fixture refused");
        if (Request() == 0 || Response() == 0 || StreamOf20Events() == 0)
        {
            throw new InvalidOperationException("translation failed");
        }
    }

    private static IChatWireFormat Create(string name) => name switch
    {
        "chat" => new ChatCompletionsFormat(TimeProvider.System),
        "messages" => new AnthropicMessagesFormat(),
        _ => new ResponsesFormat(TimeProvider.System),
    };

    /// <summary>Client request → internal form → provider request.</summary>
    [Benchmark]
    public int Request()
    {
        var (turn, _) = _client.ReadRequest(_request);
        var (body, _) = _provider.WriteRequest(turn!, "provider-model", 4000);
        return body?.Length ?? 0;
    }

    /// <summary>Provider answer → internal form → client answer.</summary>
    [Benchmark]
    public int Response() => _client.WriteResponse(_provider.ReadResponse(_answer), "client-model").Length;

    /// <summary>20 provider events decoded and re-encoded, with the client's final events.</summary>
    [Benchmark]
    public int StreamOf20Events()
    {
        var decoder = _provider.CreateDecoder();
        var encoder = _client.CreateEncoder("client-model", _turn);
        _output.ResetWrittenCount();
        StreamFinished? finish = null;
        foreach (var ev in _stream)
        {
            _events.Clear();
            decoder.Decode(ev, _events);
            foreach (var e in _events)
            {
                if (e is StreamFinished f)
                {
                    finish = f;
                }

                encoder.Encode(e, _output);
            }
        }

        var tail = encoder.Complete(finish ?? new StreamFinished(StopReason.EndTurn, null, decoder.Usage));
        return _output.WrittenCount + tail.Length;
    }

    /// <summary>
    /// The same operations timed by this process's CPU time rather than the wall clock, so that a
    /// machine shared with other work still gives the CPU each translation costs
    /// (<c>dotnet run -c Release -- translation-cpu</c>).
    /// </summary>
    public static void ReportCpuTime(int iterations = 20000)
    {
        string[] pairs = ["chat->messages", "messages->chat", "chat->responses", "responses->chat", "messages->responses", "responses->messages"];
        var benches = pairs.Select(p => new TranslationBenchmarks { Pair = p }).ToList();
        benches.ForEach(b => b.Setup());

        // Warm every path first and let tiered compilation finish, so the timed rounds run final code.
        for (var round = 0; round < 3; round++)
        {
            foreach (var bench in benches)
            {
                Measure(bench.Request, iterations / 4);
                Measure(bench.Response, iterations / 4);
                Measure(bench.StreamOf20Events, iterations / 16);
            }

            Thread.Sleep(500);
        }

        Console.WriteLine("| pair | request µs CPU | answer µs CPU | request + answer | 20-event stream µs CPU |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        foreach (var bench in benches)
        {
            var request = Measure(bench.Request, iterations);
            var answer = Measure(bench.Response, iterations);
            var stream = Measure(bench.StreamOf20Events, iterations / 4);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {bench.Pair} | {request:F1} | {answer:F1} | {request + answer:F1} | {stream:F1} |"));
        }
    }

    private static double Measure(Func<int> operation, int iterations)
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var before = process.TotalProcessorTime;
        for (var i = 0; i < iterations; i++)
        {
            operation();
        }

        process.Refresh();
        return (process.TotalProcessorTime - before).TotalMicroseconds / iterations;
    }

    private static List<string> Stream(string provider)
    {
        var events = new List<string>();
        switch (provider)
        {
            case "chat":
                static string Chunk(string delta, string finish = "null") => $$"""data: {"id":"chatcmpl-xyz","object":"chat.completion.chunk","created":1764000000,"model":"p","choices":[{"index":0,"delta":{{delta}},"finish_reason":{{finish}}}]}""" + "\n\n";
                events.Add(Chunk("""{"role":"assistant","content":""}"""));
                for (var i = 0; i < 16; i++)
                {
                    events.Add(Chunk($$"""{"content":"word{{i}} "}"""));
                }

                events.Add(Chunk("{}", "\"stop\""));
                events.Add("""data: {"id":"chatcmpl-xyz","object":"chat.completion.chunk","created":1764000000,"model":"p","choices":[],"usage":{"prompt_tokens":180,"completion_tokens":16,"total_tokens":196,"prompt_tokens_details":{"cached_tokens":128},"completion_tokens_details":{"reasoning_tokens":0}}}""" + "\n\n");
                events.Add("data: [DONE]\n\n");
                break;
            case "messages":
                events.Add("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_xyz\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"p\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":52,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":128,\"output_tokens\":1}}}\n\n");
                events.Add("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
                events.Add("event: ping\ndata: {\"type\":\"ping\"}\n\n");
                for (var i = 0; i < 14; i++)
                {
                    events.Add($"event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"word{i} \"}}}}\n\n");
                }

                events.Add("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
                events.Add("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":14}}\n\n");
                events.Add("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
                break;
            default:
                var seq = 0;
                void Add(string type, string fields) => events.Add($"event: {type}\ndata: {{\"type\":\"{type}\",{fields},\"sequence_number\":{seq++}}}\n\n");
                const string Head = "\"id\":\"resp_xyz\",\"object\":\"response\",\"created_at\":1764000000,\"model\":\"p\"";
                Add("response.created", $"\"response\":{{{Head},\"status\":\"in_progress\",\"output\":[],\"usage\":null}}");
                Add("response.in_progress", $"\"response\":{{{Head},\"status\":\"in_progress\",\"output\":[],\"usage\":null}}");
                Add("response.output_item.added", "\"output_index\":0,\"item\":{\"id\":\"msg_1\",\"type\":\"message\",\"status\":\"in_progress\",\"content\":[],\"role\":\"assistant\"}");
                Add("response.content_part.added", "\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"part\":{\"type\":\"output_text\",\"annotations\":[],\"text\":\"\"}");
                var text = new StringBuilder();
                for (var i = 0; i < 12; i++)
                {
                    text.Append($"word{i} ");
                    Add("response.output_text.delta", $"\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"word{i} \",\"logprobs\":[]");
                }

                Add("response.output_text.done", $"\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"text\":\"{text}\",\"logprobs\":[]");
                Add("response.content_part.done", $"\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"part\":{{\"type\":\"output_text\",\"annotations\":[],\"text\":\"{text}\"}}");
                Add("response.output_item.done", $"\"output_index\":0,\"item\":{{\"id\":\"msg_1\",\"type\":\"message\",\"status\":\"completed\",\"content\":[{{\"type\":\"output_text\",\"annotations\":[],\"text\":\"{text}\"}}],\"role\":\"assistant\"}}");
                Add("response.completed", $"\"response\":{{{Head},\"status\":\"completed\",\"output\":[{{\"type\":\"message\",\"id\":\"msg_1\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{{\"type\":\"output_text\",\"annotations\":[],\"text\":\"{text}\"}}]}}],\"usage\":{{\"input_tokens\":180,\"input_tokens_details\":{{\"cached_tokens\":128}},\"output_tokens\":12,\"output_tokens_details\":{{\"reasoning_tokens\":0}},\"total_tokens\":192}}}}");
                break;
        }

        return events;
    }
}
