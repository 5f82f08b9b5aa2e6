using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Tollgate.FakeProviders.OpenAI;

namespace Tollgate.FakeProviders;

/// <summary>
/// Writes named server-sent events straight into the response pipe: <c>event: {name}</c>, one
/// <c>data: {json}</c> line and a blank line, the framing Anthropic and the Responses API both use.
/// </summary>
internal sealed class SseWriter(PipeWriter pipe) : IDisposable
{
    private readonly Utf8JsonWriter _json = new(pipe, OpenAIError.WriterOptions);

    /// <summary>Starts event <paramref name="name"/>; write the data object, then call <see cref="End"/>.</summary>
    public Utf8JsonWriter Start(ReadOnlySpan<byte> name)
    {
        pipe.Write("event: "u8);
        pipe.Write(name);
        pipe.Write("\ndata: "u8);
        _json.Reset(pipe);
        return _json;
    }

    /// <summary>Ends the event started by <see cref="Start"/>.</summary>
    public void End()
    {
        // The JSON writer must hand its bytes to the pipe before the raw terminator follows them.
        _json.Flush();
        pipe.Write("\n\n"u8);
    }

    public void Dispose() => _json.Dispose();
}
