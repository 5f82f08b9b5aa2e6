using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Tollgate.Gateway.Endpoints.ChatCompletions;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Pipeline;
using Tollgate.Gateway.Translation;
using Tollgate.Providers.Google;

namespace Tollgate.Bench;

/// <summary>
/// CPU per Chat Completions request served by Gemini (translated: client body → internal form → Gemini
/// body; Gemini answer or 20-event stream → Chat Completions) next to the same request passed through to
/// an OpenAI-compatible provider, in one run. The Vertex body change for Claude is measured too.
/// <c>dotnet run -c Release -- gemini-cpu</c> prints the table by process CPU time.
/// </summary>
[MemoryDiagnoser]
public class GeminiBenchmarks
{
    private const string Request = """
        {"model":"client-model","messages":[{"role":"system","content":"You are a careful assistant that answers briefly and uses tools when needed."},
         {"role":"user","content":[{"type":"text","text":"What is the weather like in Paris this week? Also look at this."},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="}}]},
         {"role":"assistant","content":"Let me check the weather.","tool_calls":[{"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"days\":7}"}}]},
         {"role":"tool","tool_call_id":"call_abc","content":"Monday 18C sunny, Tuesday 17C cloudy, Wednesday 15C rain, Thursday 16C cloudy, Friday 19C sunny."},
         {"role":"user","content":"Thanks. Which day is best for a walk?"}],
         "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather forecast for a city","parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}}}],
         "tool_choice":"auto","max_completion_tokens":4000,"temperature":0.7,"top_p":0.95,"stream":STREAM,"stream_options":{"include_usage":true}}
        """;

    private const string OpenAIAnswer = """{"id":"chatcmpl-xyz","object":"chat.completion","created":1764000000,"model":"p","choices":[{"index":0,"message":{"role":"assistant","content":"Friday looks best: 19C and sunny, the warmest and driest day of the week."},"finish_reason":"stop"}],"usage":{"prompt_tokens":180,"completion_tokens":60,"total_tokens":240,"prompt_tokens_details":{"cached_tokens":128},"completion_tokens_details":{"reasoning_tokens":20}}}""";

    private const string GeminiAnswer = """{"candidates":[{"content":{"role":"model","parts":[{"text":"Friday looks best: 19C and sunny, the warmest and driest day of the week."}]},"finishReason":"STOP","index":0,"safetyRatings":[{"category":"HARM_CATEGORY_HATE_SPEECH","probability":"NEGLIGIBLE"},{"category":"HARM_CATEGORY_DANGEROUS_CONTENT","probability":"NEGLIGIBLE"}]}],"usageMetadata":{"promptTokenCount":180,"candidatesTokenCount":40,"cachedContentTokenCount":128,"thoughtsTokenCount":20,"totalTokenCount":240},"modelVersion":"gemini-upstream","responseId":"abc123"}""";

    private static readonly ChatFormats Formats = new(TimeProvider.System, new VertexTokenSource(TimeProvider.System));
    private static readonly ProviderChatFormat Gemini = new(GeminiFormat.Instance, GeminiAdapter.Instance);

    private readonly ArrayBufferWriter<byte> _output = new(16384);
    private byte[] _plain = [];
    private byte[] _streamed = [];
    private byte[] _openAIAnswer = [];
    private byte[] _geminiAnswer = [];
    private byte[][] _openAIStream = [];
    private byte[][] _geminiStream = [];
    private byte[] _claudeBody = [];

    [GlobalSetup]
    public void Setup()
    {
        _plain = Encoding.UTF8.GetBytes(Request.Replace("STREAM", "false", StringComparison.Ordinal));
        _streamed = Encoding.UTF8.GetBytes(Request.Replace("STREAM", "true", StringComparison.Ordinal));
        _openAIAnswer = Encoding.UTF8.GetBytes(OpenAIAnswer);
        _geminiAnswer = Encoding.UTF8.GetBytes(GeminiAnswer);
        var openAI = new List<string> { ChatChunk("""{"role":"assistant","content":""}""") };
        var gemini = new List<string>();
        for (var i = 0; i < 18; i++)
        {
            openAI.Add(ChatChunk($$"""{"content":"word{{i}} "}"""));
            gemini.Add($$"""data: {"candidates":[{"content":{"role":"model","parts":[{"text":"word{{i}} "}]},"index":0}],"usageMetadata":{"promptTokenCount":180,"totalTokenCount":180},"modelVersion":"gemini-upstream","responseId":"abc123"}""" + "\r\n\r\n");
        }

        openAI.Add("""data: {"id":"chatcmpl-xyz","object":"chat.completion.chunk","created":1764000000,"model":"p","choices":[],"usage":{"prompt_tokens":180,"completion_tokens":18,"total_tokens":198,"prompt_tokens_details":{"cached_tokens":128}}}""" + "\n\n");
        openAI.Add("data: [DONE]\n\n");
        gemini.Add("""data: {"candidates":[{"content":{"role":"model","parts":[{"text":"done."}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":180,"candidatesTokenCount":19,"cachedContentTokenCount":128,"totalTokenCount":199},"modelVersion":"gemini-upstream","responseId":"abc123"}""" + "\r\n\r\n");
        _openAIStream = [.. openAI.Select(Encoding.UTF8.GetBytes)];
        _geminiStream = [.. gemini.Select(Encoding.UTF8.GetBytes)];
        _claudeBody = Formats.Messages.WriteRequest(Formats.Chat.ReadRequest(_plain).Turn!, "claude-sonnet-5", 4000).Body!;
        if (PassthroughPlain() == 0 || GeminiPlain() == 0 || PassthroughStream() == 0 || GeminiStream() == 0 || VertexClaudeBody() == 0)
        {
            throw new InvalidOperationException("fixture failed");
        }
    }

    private static string ChatChunk(string delta) =>
        $$"""data: {"id":"chatcmpl-xyz","object":"chat.completion.chunk","created":1764000000,"model":"p","choices":[{"index":0,"delta":{{delta}},"finish_reason":null}]}""" + "\n\n";

    /// <summary>OpenAI-compatible passthrough: parse, splice the upstream body, read the answer's usage.</summary>
    [Benchmark(Baseline = true)]
    public int PassthroughPlain()
    {
        var (request, _) = ChatRequest.From(_plain);
        var body = request!.ToUpstreamBody("gpt-5-mini-2026-01-01", true, null);
        return body.Length + new ChatPassthrough(request).ReadAnswer(_openAIAnswer).ClientBody.Length;
    }

    /// <summary>Gemini: parse, translate to a Gemini body, read the Gemini answer into a Chat Completions answer.</summary>
    [Benchmark]
    public int GeminiPlain()
    {
        var (request, _) = ChatRequest.From(_plain);
        var exchange = Formats.Translate(Candidate, request!.Turn(Formats.Chat), Formats.Chat, OpenAIErrorFormat.Instance, static _ => [])!;
        var body = GeminiFormat.Instance.WriteRequest(request.Turn(Formats.Chat).Turn!, "gemini-upstream", 4000).Body!;
        return body.Length + exchange.ReadAnswer(_geminiAnswer).ClientBody.Length;
    }

    /// <summary>OpenAI-compatible passthrough of a 20-event stream.</summary>
    [Benchmark]
    public int PassthroughStream()
    {
        var (request, _) = ChatRequest.From(_streamed);
        var body = request!.ToUpstreamBody("gpt-5-mini-2026-01-01", true, null);
        IUpstreamExchange exchange = new ChatPassthrough(request);
        return body.Length + Relay(exchange, _openAIStream);
    }

    /// <summary>A 20-event Gemini stream translated to Chat Completions chunks.</summary>
    [Benchmark]
    public int GeminiStream()
    {
        var (request, _) = ChatRequest.From(_streamed);
        var turn = request!.Turn(Formats.Chat);
        var body = GeminiFormat.Instance.WriteRequest(turn.Turn!, "gemini-upstream", 4000).Body!;
        return body.Length + Relay(Formats.Translate(Candidate, turn, Formats.Chat, OpenAIErrorFormat.Instance, static _ => [])!, _geminiStream);
    }

    /// <summary>A Messages body made ready for Claude on Vertex (model out, anthropic_version in).</summary>
    [Benchmark]
    public int VertexClaudeBody() => VertexAnthropicAdapter.ToVertexBody(_claudeBody).Length;

    private int Relay(IUpstreamExchange exchange, byte[][] events)
    {
        _output.ResetWrittenCount();
        foreach (var ev in events)
        {
            if (exchange.OnEvent(ev, _output))
            {
                break;
            }
        }

        return _output.WrittenCount + exchange.StreamCompletion.Length;
    }

    private static readonly Tollgate.Gateway.Routing.RouteCandidate Candidate = new(
        new Tollgate.Catalog.CatalogModel("gemini-test", "Gemini", "chat", null, 8192, [new("google", "gemini-upstream")]),
        new Tollgate.Catalog.ProviderMapping("google", "gemini-upstream"),
        new Tollgate.Catalog.ModelPrice { InputPerMillion = 2, OutputPerMillion = 8 },
        new Tollgate.Providers.ProviderEndpoint("google", Tollgate.Providers.ProviderProtocol.Gemini, "http://127.0.0.1:1", "key", true));

    /// <summary>Per-request CPU time of each path, by process CPU time (a shared machine still gives the CPU cost).</summary>
    public static void ReportCpuTime(int iterations = 20000)
    {
        var bench = new GeminiBenchmarks();
        bench.Setup();
        (string Name, Func<int> Run)[] paths =
        [
            ("OpenAI passthrough, JSON", bench.PassthroughPlain),
            ("Gemini, JSON", bench.GeminiPlain),
            ("OpenAI passthrough, 20-event stream", bench.PassthroughStream),
            ("Gemini, 20-event stream", bench.GeminiStream),
            ("Claude on Vertex body change", bench.VertexClaudeBody),
        ];
        for (var round = 0; round < 3; round++)
        {
            foreach (var (_, run) in paths)
            {
                Measure(run, iterations / 4);
            }

            Thread.Sleep(500);
        }

        Console.WriteLine("| path | µs CPU per request |");
        Console.WriteLine("|---|---:|");
        foreach (var (name, run) in paths)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {Measure(run, iterations):F1} |"));
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
}
