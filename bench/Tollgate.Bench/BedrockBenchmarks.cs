using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Tollgate.Gateway.Endpoints.ChatCompletions;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Streaming;
using Tollgate.Gateway.Translation;
using Tollgate.Providers;
using Tollgate.Providers.Bedrock;
using Tollgate.Providers.OpenAI;

namespace Tollgate.Bench;

/// <summary>
/// CPU per request of a Chat Completions client served by Bedrock (client request → internal form →
/// Converse body → SigV4-signed request; a 20-delta event stream read, CRC-checked, decoded and
/// re-encoded as Chat Completions chunks) next to the OpenAI passthrough doing the same request
/// (body edit → request; 20 SSE chunks metered and relayed), measured in the same run.
/// </summary>
[MemoryDiagnoser]
public class BedrockBenchmarks
{
    private const int MaxEventBytes = 1 << 20;

    private const string ChatBody = """
        {"model":"client-model","stream":true,"stream_options":{"include_usage":true},"max_tokens":4000,"temperature":0.7,
         "messages":[{"role":"system","content":"You are a careful assistant that answers briefly and uses tools when needed."},
          {"role":"user","content":"What is the weather like in Paris this week? Which day is best for a walk?"}],
         "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather forecast for a city",
          "parameters":{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"]}}}]}
        """;

    private readonly ChatCompletionsFormat _chat = new(TimeProvider.System);
    private readonly BedrockConverseFormat _converse = new();
    private readonly BedrockConverseAdapter _adapter = new(TimeProvider.System);
    private readonly ArrayBufferWriter<byte> _output = new(16384);
    private byte[] _request = [];
    private byte[] _sse = [];
    private byte[] _eventStream = [];
    private ChatTurn _turn = null!;
    private ChatRequest _chatRequest = null!;

    private readonly ProviderEndpoint _openAI = new("openai", ProviderProtocol.OpenAICompatible, "https://api.openai.com/v1", "sk-bench-key", true)
    {
        PrefersMaxCompletionTokens = true,
    };

    private readonly ProviderEndpoint _bedrock = new("bedrock", ProviderProtocol.Bedrock, "https://bedrock-runtime.us-east-1.amazonaws.com", null, true)
    {
        AccessKeyId = "AKIDEXAMPLE",
        SecretAccessKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        Region = "us-east-1",
    };

    /// <summary>Which provider path.</summary>
    [Params("openai-passthrough", "bedrock")]
    public string Path { get; set; } = "bedrock";

    [GlobalSetup]
    public void Setup()
    {
        _request = Encoding.UTF8.GetBytes(ChatBody);
        _turn = _chat.ReadRequest(_request).Turn ?? throw new InvalidOperationException("fixture refused");
        _chatRequest = ChatRequest.From(_request).Request ?? throw new InvalidOperationException("fixture refused");

        var sse = new StringBuilder();
        for (var i = 0; i < 20; i++)
        {
            sse.Append("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1764000000,\"model\":\"gpt-5-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"token")
                .Append(i).Append(" \"},\"finish_reason\":null}],\"usage\":null}\n\n");
        }

        sse.Append("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1764000000,\"model\":\"gpt-5-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":20,\"total_tokens\":140}}\n\ndata: [DONE]\n\n");
        _sse = Encoding.UTF8.GetBytes(sse.ToString());

        var events = new ArrayBufferWriter<byte>(8192);
        void Event(string type, string json) => EventStreamMessage.Write(events,
            [(":event-type", type), (":content-type", "application/json"), (":message-type", "event")], Encoding.UTF8.GetBytes(json));
        Event("messageStart", """{"role":"assistant","p":"abcdefghijkl"}""");
        for (var i = 0; i < 20; i++)
        {
            Event("contentBlockDelta", "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"token" + i.ToString(CultureInfo.InvariantCulture) + " \"},\"p\":\"abcdefghijkl\"}");
        }

        Event("contentBlockStop", """{"contentBlockIndex":0,"p":"abcdefghijkl"}""");
        Event("messageStop", """{"stopReason":"end_turn","p":"abcdefghijkl"}""");
        Event("metadata", """{"usage":{"inputTokens":120,"outputTokens":20,"totalTokens":140},"metrics":{"latencyMs":300},"p":"abcdefghijkl"}""");
        _eventStream = events.WrittenSpan.ToArray();
        if (RequestBuild() == 0 || StreamOf20Deltas() == 0)
        {
            throw new InvalidOperationException("fixture failed");
        }
    }

    /// <summary>The upstream request: body written and (Bedrock) signed.</summary>
    [Benchmark]
    public int RequestBuild()
    {
        if (Path == "bedrock")
        {
            var (turn, _) = _chat.ReadRequest(_request);
            var (body, _) = _converse.WriteRequest(turn!, "global.anthropic.claude-sonnet-5-v1:0", 4000);
            using var request = _adapter.CreateRequestAsync(_bedrock, "global.anthropic.claude-sonnet-5-v1:0", body!, stream: true, default).AsTask().GetAwaiter().GetResult();
            return body!.Length;
        }

        var (chat, _) = ChatRequest.From(_request);
        var upstream = chat!.ToUpstreamBody("gpt-5-mini", prefersMaxCompletionTokens: true, clampedMaxOutputTokens: null);
        using var openAI = OpenAICompatibleProvider.CreateRequest(_openAI, "/chat/completions", upstream);
        return upstream.Length;
    }

    /// <summary>The streamed answer through the provider's frame reader and the exchange, as the relay runs it.</summary>
    [Benchmark]
    public int StreamOf20Deltas()
    {
        _output.ResetWrittenCount();
        Gateway.Pipeline.IUpstreamExchange exchange = Path == "bedrock"
            ? new TranslatingExchange(_turn, _chat, new ProviderChatFormat(_converse, _adapter), OpenAIErrorFormat.Instance, ChatCompletionsEndpoint.StreamFailure)
            : new ChatPassthrough(_chatRequest);
        using var frames = exchange.OpenStream(new MemoryStream(Path == "bedrock" ? _eventStream : _sse, writable: false), MaxEventBytes);
        while (frames.ReadAsync(default).AsTask().GetAwaiter().GetResult() == FrameReadStatus.Data)
        {
            while (frames.TryTakeEvent(out var ev))
            {
                if (exchange.OnEvent(ev, _output))
                {
                    return _output.WrittenCount + exchange.StreamCompletion.Length;
                }
            }
        }

        return 0;
    }

    /// <summary>
    /// A quick CPU-time report (process CPU per operation, µs) of both paths in one run, for machines where
    /// a full BenchmarkDotNet run takes too long: <c>dotnet run -c Release -- bedrock-cpu</c>.
    /// </summary>
    public static void ReportCpuTime(int iterations = 20000)
    {
        var benches = new[] { new BedrockBenchmarks { Path = "openai-passthrough" }, new BedrockBenchmarks { Path = "bedrock" } };
        foreach (var bench in benches)
        {
            bench.Setup();
        }

        for (var round = 0; round < 3; round++)
        {
            foreach (var bench in benches)
            {
                Measure(bench.RequestBuild, iterations / 4);
                Measure(bench.StreamOf20Deltas, iterations / 8);
            }

            Thread.Sleep(500);
        }

        Console.WriteLine("| path | request build (+ SigV4) µs CPU | 20-delta stream µs CPU | per request |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var bench in benches)
        {
            var request = Measure(bench.RequestBuild, iterations);
            var stream = Measure(bench.StreamOf20Deltas, iterations / 2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {bench.Path} | {request:F1} | {stream:F1} | {request + stream:F1} |"));
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
