using System.IO.Pipelines;
using System.Text.Json;

namespace Tollgate.FakeProviders.Anthropic;

/// <summary>
/// Writes a Messages answer: the <c>message</c> object, or the events of a stream in the order of
/// Anthropic's streaming reference (<c>message_start</c>, per block <c>content_block_start</c> /
/// <c>content_block_delta</c>... / <c>content_block_stop</c> with one <c>ping</c> after the first start,
/// <c>message_delta</c>, <c>message_stop</c>; <c>error</c> on a failure).
/// </summary>
internal sealed class MessagesWriter(PipeWriter pipe, MessagesAnswer answer, bool omitUsage) : IDisposable
{
    private readonly SseWriter _sse = new(pipe);

    public static string ThinkingToken(int index) => FakeExchange.Token("think", index);

    public static string TextToken(int index) => FakeExchange.Token("tok", index);

    /// <summary>The whole non-streaming answer.</summary>
    public void WriteMessage(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        WriteHeader(json);
        json.WriteStartArray("content"u8);
        if (answer.HasThinking)
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "thinking"u8);
            json.WriteString("thinking"u8, FakeExchange.Tokens("think", answer.ThinkingTokens));
            json.WriteString("signature"u8, answer.Signature);
            json.WriteEndObject();
        }

        if (answer.ToolName is not null)
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "tool_use"u8);
            json.WriteString("id"u8, answer.ToolId);
            json.WriteString("name"u8, answer.ToolName);
            WriteDirectCaller(json);
            json.WritePropertyName("input"u8);
            json.WriteRawValue(answer.ToolInput!, skipInputValidation: true);
            json.WriteEndObject();
        }
        else
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "text"u8);
            json.WriteString("text"u8, FakeExchange.Tokens("tok", answer.TextTokens));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteString("stop_reason"u8, answer.StopReason);
        json.WriteNull("stop_sequence"u8);
        if (!omitUsage)
        {
            WriteUsage(json, answer.OutputTokens);
        }

        json.WriteEndObject();
    }

    /// <summary><c>message_start</c>: the message with empty content, no stop reason, and usage with output_tokens 1.</summary>
    public void WriteMessageStart()
    {
        var json = _sse.Start("message_start"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, "message_start"u8);
        json.WriteStartObject("message"u8);
        WriteHeader(json);
        json.WriteStartArray("content"u8);
        json.WriteEndArray();
        json.WriteNull("stop_reason"u8);
        json.WriteNull("stop_sequence"u8);
        if (!omitUsage)
        {
            // As the API does, the start carries the input side and a placeholder output count.
            WriteUsage(json, outputTokens: 1);
        }

        json.WriteEndObject();
        json.WriteEndObject();
        _sse.End();
    }

    public void WritePing()
    {
        var json = _sse.Start("ping"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, "ping"u8);
        json.WriteEndObject();
        _sse.End();
    }

    /// <summary><c>content_block_start</c> for a thinking, tool_use or text block.</summary>
    public void WriteBlockStart(int index, MessagesBlock block)
    {
        var json = _sse.Start("content_block_start"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, "content_block_start"u8);
        json.WriteNumber("index"u8, index);
        json.WriteStartObject("content_block"u8);
        switch (block)
        {
            case MessagesBlock.Thinking:
                json.WriteString("type"u8, "thinking"u8);
                json.WriteString("thinking"u8, ""u8);
                json.WriteString("signature"u8, ""u8);
                break;
            case MessagesBlock.ToolUse:
                json.WriteString("type"u8, "tool_use"u8);
                json.WriteString("id"u8, answer.ToolId);
                json.WriteString("name"u8, answer.ToolName);
                WriteDirectCaller(json);
                json.WriteStartObject("input"u8);
                json.WriteEndObject();
                break;
            default:
                json.WriteString("type"u8, "text"u8);
                json.WriteString("text"u8, ""u8);
                break;
        }

        json.WriteEndObject();
        json.WriteEndObject();
        _sse.End();
    }

    /// <summary>
    /// <c>content_block_delta</c>: <c>thinking_delta</c>, <c>input_json_delta</c> (<c>partial_json</c>),
    /// <c>text_delta</c>, or the thinking block's <c>signature_delta</c>.
    /// </summary>
    public void WriteDelta(int index, MessagesBlock block, string value, bool signature = false)
    {
        var json = _sse.Start("content_block_delta"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, "content_block_delta"u8);
        json.WriteNumber("index"u8, index);
        json.WriteStartObject("delta"u8);
        switch (block)
        {
            case MessagesBlock.Thinking when signature:
                json.WriteString("type"u8, "signature_delta"u8);
                json.WriteString("signature"u8, value);
                break;
            case MessagesBlock.Thinking:
                json.WriteString("type"u8, "thinking_delta"u8);
                json.WriteString("thinking"u8, value);
                break;
            case MessagesBlock.ToolUse:
                json.WriteString("type"u8, "input_json_delta"u8);
                json.WriteString("partial_json"u8, value);
                break;
            default:
                json.WriteString("type"u8, "text_delta"u8);
                json.WriteString("text"u8, value);
                break;
        }

        json.WriteEndObject();
        json.WriteEndObject();
        _sse.End();
    }

    public void WriteBlockStop(int index)
    {
        var json = _sse.Start("content_block_stop"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, "content_block_stop"u8);
        json.WriteNumber("index"u8, index);
        json.WriteEndObject();
        _sse.End();
    }

    /// <summary><c>message_delta</c>: the stop reason and the cumulative usage with the final output count.</summary>
    public void WriteMessageDelta()
    {
        var json = _sse.Start("message_delta"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, "message_delta"u8);
        json.WriteStartObject("delta"u8);
        json.WriteString("stop_reason"u8, answer.StopReason);
        json.WriteNull("stop_sequence"u8);
        json.WriteEndObject();
        if (!omitUsage)
        {
            json.WriteStartObject("usage"u8);
            json.WriteNumber("input_tokens"u8, answer.InputTokens);
            json.WriteNumber("cache_creation_input_tokens"u8, answer.CacheWriteTokens);
            json.WriteNumber("cache_read_input_tokens"u8, answer.CacheReadTokens);
            json.WriteNumber("output_tokens"u8, answer.OutputTokens);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        _sse.End();
    }

    public void WriteMessageStop()
    {
        var json = _sse.Start("message_stop"u8);
        json.WriteStartObject();
        json.WriteString("type"u8, "message_stop"u8);
        json.WriteEndObject();
        _sse.End();
    }

    /// <summary>A mid-stream <c>event: error</c>: <c>{"type":"error","error":{"type","message"}}</c>.</summary>
    public void WriteError(AnthropicError error)
    {
        var json = _sse.Start("error"u8);
        error.WriteObject(json, requestId: null);
        _sse.End();
    }

    public void Dispose() => _sse.Dispose();

    private void WriteHeader(Utf8JsonWriter json)
    {
        json.WriteString("id"u8, answer.Id);
        json.WriteString("type"u8, "message"u8);
        json.WriteString("role"u8, "assistant"u8);
        json.WriteString("model"u8, answer.Model);
    }

    /// <summary><c>"caller":{"type":"direct"}</c>: the model called the tool itself (the SDKs require the field).</summary>
    private static void WriteDirectCaller(Utf8JsonWriter json)
    {
        json.WriteStartObject("caller"u8);
        json.WriteString("type"u8, "direct"u8);
        json.WriteEndObject();
    }

    private void WriteUsage(Utf8JsonWriter json, int outputTokens)
    {
        json.WriteStartObject("usage"u8);
        json.WriteNumber("input_tokens"u8, answer.InputTokens);
        json.WriteNumber("cache_creation_input_tokens"u8, answer.CacheWriteTokens);
        json.WriteNumber("cache_read_input_tokens"u8, answer.CacheReadTokens);
        json.WriteStartObject("cache_creation"u8);
        json.WriteNumber("ephemeral_5m_input_tokens"u8, answer.CacheWriteTokens);
        json.WriteNumber("ephemeral_1h_input_tokens"u8, 0);
        json.WriteEndObject();
        json.WriteNumber("output_tokens"u8, outputTokens);
        json.WriteString("service_tier"u8, "standard"u8);
        json.WriteEndObject();
    }
}

/// <summary>The kinds of content block the fake answers with.</summary>
internal enum MessagesBlock
{
    /// <summary>A <c>text</c> block.</summary>
    Text,

    /// <summary>A <c>thinking</c> block (with its signature).</summary>
    Thinking,

    /// <summary>A <c>tool_use</c> block.</summary>
    ToolUse,
}
