using System.Buffers;
using System.Text.Json;
using Tollgate.Catalog;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Streaming;

namespace Tollgate.Gateway.Translation;

/// <summary>
/// Reads a Chat Completions stream (<c>chat.completion.chunk</c> objects, then <c>data: [DONE]</c>) into
/// internal events. Text, reasoning (<c>reasoning_content</c> or <c>reasoning</c>, which OpenAI-compatible
/// reasoning providers send) and each tool call become numbered blocks; a block ends when the next begins
/// or the choice finishes. The finish is reported at <c>[DONE]</c>, since the usage chunk of
/// <c>include_usage</c> comes after the chunk with <c>finish_reason</c> (or with it, or not at all).
/// Tool calls are expected one after another, as OpenAI streams them.
/// </summary>
internal sealed class ChatCompletionsStreamDecoder : ProviderStreamDecoder
{
    private readonly List<(int Tool, int Block)> _tools = [];
    private string? _finish;
    private bool _started;

    /// <summary><c>[DONE]</c>, and the common text chunk read without a document (<see cref="TryDecodeTextChunk"/>).</summary>
    protected override bool OnData(ReadOnlySpan<byte> data, List<StreamEvent> output)
    {
        if (!data.SequenceEqual("[DONE]"u8))
        {
            return TryDecodeTextChunk(data, output);
        }

        Close(output);
        output.Add(new StreamFinished(ChatCompletionsFormat.ReadFinishReason(_finish), null, Usage));
        Completed = true;
        return true;
    }

    /// <inheritdoc />
    protected override void OnEvent(JsonElement root, string? type, List<StreamEvent> output)
    {
        if (root.Has("error", out var error))
        {
            Fail(error.Str("code") ?? error.Str("type"), error.Str("message"));
            return;
        }

        if (!_started)
        {
            _started = true;
            output.Add(new StreamStarted(root.Str("id") ?? "chatcmpl-0", null));
        }

        if (root.Has("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
        {
            foreach (var choice in choices.EnumerateArray())
            {
                if (choice.TryGetProperty("index", out var index) && index.ValueKind == JsonValueKind.Number && index.GetInt32() != 0)
                {
                    continue; // the gateway never asks for n > 1 when it translates
                }

                if (choice.Has("delta", out var delta))
                {
                    ReadDelta(delta, output);
                }

                if (choice.Str("finish_reason") is { } finish)
                {
                    _finish = finish;
                    Close(output);
                }
            }
        }

        if (root.Has("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            Usage = ChatCompletionsFormat.ReadUsage(usage);
        }
    }

    /// <summary>
    /// The common chunk (one choice whose delta carries text, reasoning or a refusal, a finish reason,
    /// no tool calls, usage or error) read forward only, without building a document: most of a
    /// stream's chunks are this shape. Returns false, having written nothing, for anything else, which
    /// the document path then reads; the two give the same events.
    /// </summary>
    private bool TryDecodeTextChunk(ReadOnlySpan<byte> data, List<StreamEvent> output)
    {
        var reader = new Utf8JsonReader(data);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        var chunk = default(TextChunk);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("choices"u8))
            {
                if (!reader.Read() || !ReadChoices(ref reader, ref chunk))
                {
                    return false;
                }
            }
            else if (reader.ValueTextEquals("id"u8))
            {
                if (!ReadNullableString(ref reader, out chunk.Id))
                {
                    return false;
                }
            }
            else if (reader.ValueTextEquals("usage"u8) || reader.ValueTextEquals("error"u8))
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.Null)
                {
                    return false;
                }
            }
            else if (!reader.Read() || !reader.TrySkip())
            {
                return false;
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            return false;
        }

        if (!_started)
        {
            _started = true;
            output.Add(new StreamStarted(chunk.Id ?? "chatcmpl-0", null));
        }

        AddText(chunk.Reasoning, chunk.Content, chunk.Refusal, output);
        if (chunk.Finish is { } finish)
        {
            _finish = finish;
            Close(output);
        }

        return true;
    }

    /// <summary>At most one choice, index 0, its delta without tool calls.</summary>
    private static bool ReadChoices(ref Utf8JsonReader reader, ref TextChunk chunk)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject || ++count > 1)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("delta"u8))
                {
                    if (!reader.Read() || !ReadDelta(ref reader, ref chunk))
                    {
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("finish_reason"u8))
                {
                    if (!ReadNullableString(ref reader, out chunk.Finish))
                    {
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("index"u8))
                {
                    if (!reader.Read() || reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var index) || index != 0)
                    {
                        return false;
                    }
                }
                else if (!reader.Read() || !reader.TrySkip())
                {
                    return false;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject)
            {
                return false;
            }
        }

        return reader.TokenType == JsonTokenType.EndArray;
    }

    private static bool ReadDelta(ref Utf8JsonReader reader, ref TextChunk chunk)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var read = reader.ValueTextEquals("content"u8) ? ReadNullableString(ref reader, out chunk.Content)
                : reader.ValueTextEquals("reasoning_content"u8) ? ReadNullableString(ref reader, out chunk.ReasoningContent)
                : reader.ValueTextEquals("reasoning"u8) ? ReadNullableString(ref reader, out chunk.ReasoningOther)
                : reader.ValueTextEquals("refusal"u8) ? ReadNullableString(ref reader, out chunk.Refusal)
                : !reader.ValueTextEquals("tool_calls"u8) && reader.Read() && reader.TrySkip();
            if (!read)
            {
                return false;
            }
        }

        return reader.TokenType == JsonTokenType.EndObject;
    }

    /// <summary>A string or null value; false for any other kind (the document path then reports it).</summary>
    private static bool ReadNullableString(ref Utf8JsonReader reader, out string? value)
    {
        value = null;
        if (!reader.Read())
        {
            return false;
        }

        if (reader.TokenType == JsonTokenType.String)
        {
            value = reader.GetString();
            return true;
        }

        return reader.TokenType == JsonTokenType.Null;
    }

    /// <summary>
    /// A delta's reasoning, then its text (or, with no text, its refusal, which also makes the finish
    /// <c>content_filter</c> unless the provider names another): the same for both ways of reading a chunk.
    /// </summary>
    private void AddText(string? reasoning, string? content, string? refusal, List<StreamEvent> output)
    {
        if (!string.IsNullOrEmpty(reasoning))
        {
            Open(BlockKind.Thinking, output);
            output.Add(new ThinkingDelta(OpenBlock, reasoning, null));
            Produced(reasoning);
        }

        var text = content;
        if (string.IsNullOrEmpty(text) && refusal is { Length: > 0 })
        {
            text = refusal;
            _finish ??= "content_filter";
        }

        if (!string.IsNullOrEmpty(text))
        {
            Open(BlockKind.Text, output);
            output.Add(new TextDelta(OpenBlock, text));
            Produced(text);
        }
    }

    private void ReadDelta(JsonElement delta, List<StreamEvent> output)
    {
        AddText(delta.Str("reasoning_content") ?? delta.Str("reasoning"), delta.Str("content"), delta.Str("refusal"), output);
        foreach (var call in delta.Array("tool_calls"))
        {
            var toolIndex = call.TryGetProperty("index", out var i) && i.ValueKind == JsonValueKind.Number ? i.GetInt32() : 0;
            var function = call.Has("function", out var f) ? f : default;
            var block = -1;
            foreach (var (tool, b) in _tools)
            {
                if (tool == toolIndex)
                {
                    block = b;
                }
            }

            if (block < 0)
            {
                Close(output);
                block = NextBlock++;
                _tools.Add((toolIndex, block));
                OpenBlock = block;
                OpenKind = BlockKind.Tool;
                var name = function.ValueKind == JsonValueKind.Object ? function.Str("name") ?? string.Empty : string.Empty;
                output.Add(new ToolCallStarted(block, call.Str("id") ?? $"call_{toolIndex}", name));
                Produced(name);
            }

            if (function.ValueKind == JsonValueKind.Object && function.Str("arguments") is { Length: > 0 } arguments)
            {
                output.Add(new ToolArgumentsDelta(block, arguments));
                Produced(arguments);
            }
        }
    }

    /// <summary>What <see cref="TryDecodeTextChunk"/> collects before it writes anything.</summary>
    private struct TextChunk
    {
        public string? Id;
        public string? Content;
        public string? ReasoningContent;
        public string? ReasoningOther;
        public string? Refusal;
        public string? Finish;

        /// <summary><c>reasoning_content</c> first, as the document path reads it.</summary>
        public readonly string? Reasoning => ReasoningContent ?? ReasoningOther;
    }
}
