using System.Buffers;
using System.Text.Json;
using Tollgate.Catalog;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Streaming;

namespace Tollgate.Gateway.Translation;

/// <summary>
/// Writes internal events as a Chat Completions stream: <c>chat.completion.chunk</c> objects with the
/// role first, <c>delta.content</c>, <c>delta.reasoning_content</c>, and <c>delta.tool_calls</c> (index, id,
/// type and name on a call's first delta; argument fragments after), and each image the model made whole in
/// <c>delta.images</c> (the shape of <c>message.images</c>). <see cref="Complete"/> writes the
/// chunk with <c>finish_reason</c>, the usage chunk (empty <c>choices</c>) when the client asked for it,
/// and <c>data: [DONE]</c>.
/// </summary>
internal sealed class ChatCompletionsStreamEncoder(string clientModel, bool includeUsage, long created) : IStreamEncoder
{
    private readonly SseJsonWriter _sse = new();
    private readonly List<(int Block, int Ordinal)> _tools = [];
    private string _id = "chatcmpl-0";
    private bool _started;

    /// <inheritdoc />
    public void Encode(StreamEvent ev, IBufferWriter<byte> output)
    {
        switch (ev)
        {
            case StreamStarted started:
                _id = WireJson.ClientId("chatcmpl-", started.Id);
                EnsureStarted(output);
                break;
            case TextDelta text:
                EnsureStarted(output);
                var json = BeginDelta(output);
                json.WriteString("content"u8, text.Text);
                EndDelta(null);
                break;
            case ThinkingDelta { Text: { Length: > 0 } thinking }:
                EnsureStarted(output);
                json = BeginDelta(output);
                json.WriteString("reasoning_content"u8, thinking);
                EndDelta(null);
                break;
            case ToolCallStarted call:
                EnsureStarted(output);
                var ordinal = _tools.Count;
                _tools.Add((call.Index, ordinal));
                json = BeginDelta(output);
                json.WriteStartArray("tool_calls"u8);
                json.WriteStartObject();
                json.WriteNumber("index"u8, ordinal);
                json.WriteString("id"u8, call.CallId);
                json.WriteString("type"u8, "function"u8);
                json.WriteStartObject("function"u8);
                json.WriteString("name"u8, call.Name);
                json.WriteString("arguments"u8, ""u8);
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndArray();
                EndDelta(null);
                break;
            case ImageGenerated image:
                EnsureStarted(output);
                json = BeginDelta(output);
                json.WriteStartArray("images"u8);
                ChatCompletionsFormat.WriteImage(json, image.MediaType, image.Base64Data);
                json.WriteEndArray();
                EndDelta(null);
                break;
            case ToolArgumentsDelta arguments:
                EnsureStarted(output);
                json = BeginDelta(output);
                json.WriteStartArray("tool_calls"u8);
                json.WriteStartObject();
                json.WriteNumber("index"u8, OrdinalOf(arguments.Index));
                json.WriteStartObject("function"u8);
                json.WriteString("arguments"u8, arguments.Json);
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndArray();
                EndDelta(null);
                break;
            default:
                // Block starts and stops have no chunk of their own; the finish is held for Complete.
                break;
        }
    }

    /// <inheritdoc />
    public byte[] Complete(StreamFinished finish)
    {
        var output = new ArrayBufferWriter<byte>(512);
        EnsureStarted(output);
        BeginDelta(output);
        EndDelta(ChatCompletionsFormat.FinishReason(finish.Reason));
        if (includeUsage && finish.Usage is { } usage)
        {
            var json = BeginChunk(output);
            json.WriteStartArray("choices"u8);
            json.WriteEndArray();
            ChatCompletionsFormat.WriteUsage(json, usage);
            json.WriteEndObject();
            _sse.End();
        }

        output.Write("data: [DONE]\n\n"u8);
        return output.WrittenSpan.ToArray();
    }

    private void EnsureStarted(IBufferWriter<byte> output)
    {
        if (_started)
        {
            return;
        }

        _started = true;
        var json = BeginDelta(output);
        json.WriteString("role"u8, "assistant"u8);
        json.WriteString("content"u8, ""u8);
        EndDelta(null);
    }

    private int OrdinalOf(int block)
    {
        foreach (var (b, ordinal) in _tools)
        {
            if (b == block)
            {
                return ordinal;
            }
        }

        return 0;
    }

    private Utf8JsonWriter BeginChunk(IBufferWriter<byte> output)
    {
        var json = _sse.Begin(output);
        json.WriteStartObject();
        json.WriteString("id"u8, _id);
        json.WriteString("object"u8, "chat.completion.chunk"u8);
        json.WriteNumber("created"u8, created);
        json.WriteString("model"u8, clientModel);
        return json;
    }

    private Utf8JsonWriter BeginDelta(IBufferWriter<byte> output)
    {
        var json = BeginChunk(output);
        json.WriteStartArray("choices"u8);
        json.WriteStartObject();
        json.WriteNumber("index"u8, 0);
        json.WriteStartObject("delta"u8);
        return json;
    }

    private void EndDelta(string? finishReason)
    {
        var json = _sse.Current;
        json.WriteEndObject();
        json.WriteNull("logprobs"u8);
        if (finishReason is null)
        {
            json.WriteNull("finish_reason"u8);
        }
        else
        {
            json.WriteString("finish_reason"u8, finishReason);
        }

        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        _sse.End();
    }
}
