using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Tollgate.Gateway.Endpoints.ChatCompletions;

namespace Tollgate.Bench;

/// <summary>
/// Reading a chat request and writing its upstream body, as every gateway request does. The
/// baseline is the document-tree way: parse into a <see cref="JsonObject"/>, read the fields, set
/// the model and the usage option, serialise.
/// </summary>
[MemoryDiagnoser]
public class ChatRequestBenchmarks
{
    private byte[] _body = [];

    [Params(false, true)]
    public bool Stream { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var json = new StringBuilder("""{"model":"gpt-5-mini","max_tokens":256,"temperature":0.2,""");
        if (Stream)
        {
            json.Append("\"stream\":true,");
        }

        json.Append("\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful assistant that answers briefly.\"}");
        for (var i = 0; i < 6; i++)
        {
            json.Append(",{\"role\":\"user\",\"content\":\"Question ").Append(i).Append(": what is a toll gate, and why do gateways meter spend?\"}");
            json.Append(",{\"role\":\"assistant\",\"content\":\"A toll gate charges for passage; a gateway meters spend per person and key.\"}");
        }

        json.Append("]}");
        _body = Encoding.UTF8.GetBytes(json.ToString());
    }

    [Benchmark(Baseline = true)]
    public int DocumentTree()
    {
        var body = (JsonObject)JsonNode.Parse(_body)!;
        var model = body["model"]!.GetValue<string>();
        var stream = body["stream"]?.GetValueKind() == JsonValueKind.True;
        var max = body["max_tokens"]!.GetValue<long>();
        body["model"] = "gpt-5-mini-2026-01-01";
        if (stream)
        {
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            body.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray().Length + model.Length + (int)max;
    }

    [Benchmark]
    public int OnePassAndSplice()
    {
        var (request, _) = ChatRequest.From(_body);
        return request!.ToUpstreamBody("gpt-5-mini-2026-01-01", true, null).Length + request.ModelName.Length + (int)request.MaxOutputTokens!.Value;
    }
}
