using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Tollgate.Gateway.Streaming;
using Tollgate.Providers.OpenAI;

namespace Tollgate.Bench;

/// <summary>
/// Reading usage and generated-text size from an OpenAI stream, per event, as the relay does on
/// every chunk. The baseline parses each chunk into a <see cref="JsonDocument"/>.
/// </summary>
[MemoryDiagnoser]
public class SseUsageBenchmarks
{
    private byte[] _stream = [];

    [GlobalSetup]
    public void Setup()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < 64; i++)
        {
            sb.Append("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1764000000,\"model\":\"gpt-5-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"token")
              .Append(i).Append(" \"},\"finish_reason\":null}],\"usage\":null}\n\n");
        }

        sb.Append("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1764000000,\"model\":\"gpt-5-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":64,\"total_tokens\":184,\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}}}\n\n");
        sb.Append("data: [DONE]\n\n");
        _stream = Encoding.UTF8.GetBytes(sb.ToString());
    }

    [Benchmark(Baseline = true)]
    public long JsonDocumentPerChunk()
    {
        long total = 0;
        var span = _stream.AsSpan();
        while (SseEvents.TryFindEnd(span, out var length))
        {
            var data = SseEvents.Data(span[..length]);
            span = span[length..];
            if (data.SequenceEqual("[DONE]"u8))
            {
                break;
            }

            using var doc = JsonDocument.Parse(data.ToArray());
            if (doc.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                total += usage.GetProperty("completion_tokens").GetInt64();
            }
        }

        return total;
    }

    [Benchmark]
    public long UsageReaderPerChunk()
    {
        long total = 0;
        var span = _stream.AsSpan();
        while (SseEvents.TryFindEnd(span, out var length))
        {
            var data = SseEvents.Data(span[..length]);
            span = span[length..];
            if (data.SequenceEqual("[DONE]"u8))
            {
                break;
            }

            var info = OpenAIUsageReader.Inspect(data);
            total += info.HasUsage ? info.Usage.OutputTokens : 0;
        }

        return total;
    }
}
