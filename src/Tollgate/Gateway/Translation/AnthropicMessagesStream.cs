using System.Buffers;
using System.Text.Json;
using Tollgate.Catalog;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Streaming;

namespace Tollgate.Gateway.Translation;

/// <summary>
/// Reads an Anthropic Messages stream (<c>message_start</c>, per block <c>content_block_start</c> /
/// <c>content_block_delta</c> / <c>content_block_stop</c>, <c>ping</c>, <c>message_delta</c>,
/// <c>message_stop</c>, <c>error</c>) into internal events. Block numbers are Anthropic's. Usage starts
/// with <c>message_start</c> (input side) and is completed by <c>message_delta</c>, whose
/// <c>output_tokens</c> is cumulative; blocks the other formats cannot hold (redacted thinking,
/// server tools) are skipped.
/// </summary>
internal sealed class AnthropicMessagesStreamDecoder : ProviderStreamDecoder
{
    private readonly List<int> _skipped = [];
    private string? _stopReason, _stopSequence;

    /// <inheritdoc />
    protected override void OnEvent(JsonElement root, string? type, List<StreamEvent> output)
    {
        var index = root.TryGetProperty("index", out var i) && i.ValueKind == JsonValueKind.Number ? i.GetInt32() : -1;
        switch (root.Str("type"))
        {
            case "message_start":
                var message = root.GetProperty("message");
                if (message.Has("usage", out var startUsage))
                {
                    ReadUsage(startUsage);
                }

                output.Add(new StreamStarted(message.Str("id") ?? "msg_0", Usage));
                break;
            case "content_block_start":
                StartBlock(index, root.GetProperty("content_block"), output);
                break;
            case "content_block_delta" when !_skipped.Contains(index):
                ReadDelta(index, root.GetProperty("delta"), output);
                break;
            case "content_block_stop" when !_skipped.Contains(index):
                output.Add(new BlockStopped(index));
                break;
            case "message_delta":
                if (root.Has("delta", out var delta))
                {
                    _stopReason = delta.Str("stop_reason") ?? _stopReason;
                    _stopSequence = delta.Str("stop_sequence") ?? _stopSequence;
                }

                if (root.Has("usage", out var deltaUsage))
                {
                    ReadUsage(deltaUsage);
                }

                break;
            case "message_stop":
                Completed = true;
                output.Add(new StreamFinished(AnthropicMessagesFormat.ReadStopReason(_stopReason), _stopSequence, Usage));
                break;
            case "error":
                var error = root.Has("error", out var e) ? e : root;
                Fail(error.Str("type"), error.Str("message"));
                break;
            default:
                break; // ping, and events added after this was written
        }
    }

    private void StartBlock(int index, JsonElement block, List<StreamEvent> output)
    {
        switch (block.Str("type"))
        {
            case "text":
                output.Add(new TextStarted(index));
                if (block.Str("text") is { Length: > 0 } text)
                {
                    output.Add(new TextDelta(index, text));
                    Produced(text);
                }

                break;
            case "thinking":
                output.Add(new ThinkingStarted(index));
                if (block.Str("thinking") is { Length: > 0 } thinking)
                {
                    output.Add(new ThinkingDelta(index, thinking, null));
                    Produced(thinking);
                }

                break;
            case "tool_use":
                var name = block.Str("name") ?? string.Empty;
                output.Add(new ToolCallStarted(index, block.Str("id") ?? string.Empty, name));
                Produced(name);
                break;
            default:
                _skipped.Add(index);
                break;
        }
    }

    private void ReadDelta(int index, JsonElement delta, List<StreamEvent> output)
    {
        switch (delta.Str("type"))
        {
            case "text_delta":
                var text = delta.Str("text") ?? string.Empty;
                output.Add(new TextDelta(index, text));
                Produced(text);
                break;
            case "thinking_delta":
                var thinking = delta.Str("thinking") ?? string.Empty;
                output.Add(new ThinkingDelta(index, thinking, null));
                Produced(thinking);
                break;
            case "signature_delta":
                output.Add(new ThinkingDelta(index, null, delta.Str("signature")));
                break;
            case "input_json_delta":
                if (delta.Str("partial_json") is { Length: > 0 } json)
                {
                    output.Add(new ToolArgumentsDelta(index, json));
                    Produced(json);
                }

                break;
            default:
                break; // citations
        }
    }

    private void ReadUsage(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        // Later events repeat the input side (or leave it out) and carry the cumulative output count.
        var previous = Usage ?? default;
        Usage = new TokenUsage(
            Latest(usage, "input_tokens", previous.InputTokens),
            Latest(usage, "cache_read_input_tokens", previous.CachedInputTokens),
            Latest(usage, "cache_creation_input_tokens", previous.CacheWriteTokens),
            Latest(usage, "output_tokens", previous.OutputTokens),
            0);
    }

    private static long Latest(JsonElement usage, string name, long previous) =>
        usage.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n >= 0 ? n : previous;
}

/// <summary>
/// Writes internal events as an Anthropic Messages stream: <c>message_start</c>, blocks numbered from 0
/// (<c>content_block_start</c>, <c>text_delta</c> / <c>thinking_delta</c> / <c>signature_delta</c> /
/// <c>input_json_delta</c>, <c>content_block_stop</c>). <see cref="Complete"/> closes any open block and
/// writes <c>message_delta</c> (stop reason and the whole usage) and <c>message_stop</c>.
/// </summary>
internal sealed class AnthropicMessagesStreamEncoder(string clientModel) : IStreamEncoder
{
    private readonly SseJsonWriter _sse = new();
    private readonly List<(int Internal, int Client, bool Open)> _blocks = [];
    private bool _started;

    /// <inheritdoc />
    public void Encode(StreamEvent ev, IBufferWriter<byte> output)
    {
        switch (ev)
        {
            case StreamStarted started:
                Start(output, started.Id, started.Usage);
                break;
            case TextStarted text:
                StartBlock(output, text.Index, static json =>
                {
                    json.WriteString("type"u8, "text"u8);
                    json.WriteString("text"u8, ""u8);
                });
                break;
            case ThinkingStarted thinking:
                StartBlock(output, thinking.Index, static json =>
                {
                    json.WriteString("type"u8, "thinking"u8);
                    json.WriteString("thinking"u8, ""u8);
                    json.WriteString("signature"u8, ""u8);
                });
                break;
            case ToolCallStarted call:
                Start(output, null, null);
                var json = BeginEvent(output, "content_block_start"u8);
                json.WriteNumber("index"u8, Open(call.Index));
                json.WriteStartObject("content_block"u8);
                json.WriteString("type"u8, "tool_use"u8);
                json.WriteString("id"u8, call.CallId);
                json.WriteString("name"u8, call.Name);
                json.WriteStartObject("input"u8);
                json.WriteEndObject();
                AnthropicMessagesFormat.WriteDirectCaller(json);
                json.WriteEndObject();
                EndEvent();
                break;
            case TextDelta text:
                WriteDelta(output, text.Index, "text_delta"u8, "text"u8, text.Text);
                break;
            case ThinkingDelta { Text: { } thinking } delta:
                WriteDelta(output, delta.Index, "thinking_delta"u8, "thinking"u8, thinking);
                break;
            case ThinkingDelta { Signature: { } signature } delta:
                WriteDelta(output, delta.Index, "signature_delta"u8, "signature"u8, signature);
                break;
            case ToolArgumentsDelta arguments:
                WriteDelta(output, arguments.Index, "input_json_delta"u8, "partial_json"u8, arguments.Json);
                break;
            case BlockStopped stopped:
                Stop(output, stopped.Index);
                break;
            default:
                break; // the finish is held for Complete
        }
    }

    /// <inheritdoc />
    public byte[] Complete(StreamFinished finish)
    {
        var output = new ArrayBufferWriter<byte>(512);
        Start(output, null, null);
        for (var i = 0; i < _blocks.Count; i++)
        {
            if (_blocks[i].Open)
            {
                Stop(output, _blocks[i].Internal);
            }
        }

        var json = BeginEvent(output, "message_delta"u8);
        json.WriteStartObject("delta"u8);
        json.WriteString("stop_reason"u8, AnthropicMessagesFormat.StopReasonName(finish.Reason));
        if (finish.StopSequence is null)
        {
            json.WriteNull("stop_sequence"u8);
        }
        else
        {
            json.WriteString("stop_sequence"u8, finish.StopSequence);
        }

        json.WriteEndObject();
        AnthropicMessagesFormat.WriteUsage(json, finish.Usage ?? default);
        EndEvent();
        BeginEvent(output, "message_stop"u8);
        EndEvent();
        return output.WrittenSpan.ToArray();
    }

    private void Start(IBufferWriter<byte> output, string? providerId, TokenUsage? usage)
    {
        if (_started)
        {
            return;
        }

        _started = true;
        var json = BeginEvent(output, "message_start"u8);
        json.WriteStartObject("message"u8);
        json.WriteString("id"u8, WireJson.ClientId("msg_", providerId ?? "0"));
        json.WriteString("type"u8, "message"u8);
        json.WriteString("role"u8, "assistant"u8);
        json.WriteString("model"u8, clientModel);
        json.WriteStartArray("content"u8);
        json.WriteEndArray();
        json.WriteNull("stop_reason"u8);
        json.WriteNull("stop_sequence"u8);
        // The input side when the provider gave it at the start; the output count comes with message_delta.
        AnthropicMessagesFormat.WriteUsage(json, usage ?? default, outputOnly: true);
        json.WriteEndObject();
        EndEvent();
    }

    private void StartBlock(IBufferWriter<byte> output, int index, Action<Utf8JsonWriter> block)
    {
        Start(output, null, null);
        var json = BeginEvent(output, "content_block_start"u8);
        json.WriteNumber("index"u8, Open(index));
        json.WriteStartObject("content_block"u8);
        block(json);
        json.WriteEndObject();
        EndEvent();
    }

    private void WriteDelta(IBufferWriter<byte> output, int index, ReadOnlySpan<byte> type, ReadOnlySpan<byte> field, string value)
    {
        var client = ClientIndex(index);
        if (client < 0)
        {
            return;
        }

        var json = BeginEvent(output, "content_block_delta"u8);
        json.WriteNumber("index"u8, client);
        json.WriteStartObject("delta"u8);
        json.WriteString("type"u8, type);
        json.WriteString(field, value);
        json.WriteEndObject();
        EndEvent();
    }

    private void Stop(IBufferWriter<byte> output, int index)
    {
        for (var i = 0; i < _blocks.Count; i++)
        {
            if (_blocks[i].Internal == index && _blocks[i].Open)
            {
                _blocks[i] = _blocks[i] with { Open = false };
                var json = BeginEvent(output, "content_block_stop"u8);
                json.WriteNumber("index"u8, _blocks[i].Client);
                EndEvent();
                return;
            }
        }
    }

    private int Open(int index)
    {
        var client = _blocks.Count;
        _blocks.Add((index, client, true));
        return client;
    }

    private int ClientIndex(int index)
    {
        for (var i = _blocks.Count - 1; i >= 0; i--)
        {
            if (_blocks[i].Internal == index)
            {
                return _blocks[i].Open ? _blocks[i].Client : -1;
            }
        }

        return -1;
    }

    private Utf8JsonWriter BeginEvent(IBufferWriter<byte> output, ReadOnlySpan<byte> type)
    {
        var json = _sse.Begin(output, type);
        json.WriteStartObject();
        json.WriteString("type"u8, type);
        return json;
    }

    private void EndEvent()
    {
        _sse.Current.WriteEndObject();
        _sse.End();
    }
}
