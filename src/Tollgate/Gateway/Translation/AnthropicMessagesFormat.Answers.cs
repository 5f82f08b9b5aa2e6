using System.Text.Json;
using Tollgate.Catalog;

namespace Tollgate.Gateway.Translation;

/// <summary>Anthropic Messages answers: the <c>message</c> object both ways, and stream factories.</summary>
internal sealed partial class AnthropicMessagesFormat
{
    /// <inheritdoc />
    public byte[] WriteResponse(ChatResult result, string clientModel) =>
        WireJson.Write((result, clientModel), static (json, s) => WriteMessage(json, s.result, s.clientModel));

    private static void WriteMessage(Utf8JsonWriter json, ChatResult result, string clientModel)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, WireJson.ClientId("msg_", result.Id));
        json.WriteString("type"u8, "message"u8);
        json.WriteString("role"u8, "assistant"u8);
        json.WriteString("model"u8, clientModel);
        json.WriteStartArray("content"u8);
        foreach (var part in result.Output)
        {
            switch (part)
            {
                case ThinkingPart thinking:
                    json.WriteStartObject();
                    json.WriteString("type"u8, "thinking"u8);
                    json.WriteString("thinking"u8, thinking.Text);
                    json.WriteString("signature"u8, thinking.Signature ?? string.Empty);
                    json.WriteEndObject();
                    break;
                case TextPart text:
                    json.WriteStartObject();
                    json.WriteString("type"u8, "text"u8);
                    json.WriteString("text"u8, text.Text);
                    json.WriteEndObject();
                    break;
                case ToolCallPart call:
                    json.WriteStartObject();
                    json.WriteString("type"u8, "tool_use"u8);
                    json.WriteString("id"u8, call.CallId);
                    json.WriteString("name"u8, call.Name);
                    json.WritePropertyName("input"u8);
                    WireJson.WriteRawObject(json, call.ArgumentsJson, "tool_calls");
                    WriteDirectCaller(json);
                    json.WriteEndObject();
                    break;
            }
        }

        json.WriteEndArray();
        json.WriteString("stop_reason"u8, StopReasonName(result.StopReason));
        if (result.StopSequence is null)
        {
            json.WriteNull("stop_sequence"u8);
        }
        else
        {
            json.WriteString("stop_sequence"u8, result.StopSequence);
        }

        WriteUsage(json, result.Usage ?? default);
        json.WriteEndObject();
    }

    /// <summary><c>"caller":{"type":"direct"}</c>: the model called the tool itself (current SDKs expect the field).</summary>
    internal static void WriteDirectCaller(Utf8JsonWriter json)
    {
        json.WriteStartObject("caller"u8);
        json.WriteString("type"u8, "direct"u8);
        json.WriteEndObject();
    }

    /// <summary>
    /// Anthropic usage from the internal one: <c>input_tokens</c> excludes cache reads and writes,
    /// which have their own fields; <c>output_tokens</c> includes thinking.
    /// </summary>
    internal static void WriteUsage(Utf8JsonWriter json, TokenUsage usage, bool outputOnly = false)
    {
        json.WriteStartObject("usage"u8);
        json.WriteNumber("input_tokens"u8, usage.InputTokens);
        json.WriteNumber("cache_creation_input_tokens"u8, usage.CacheWriteTokens);
        json.WriteNumber("cache_read_input_tokens"u8, usage.CachedInputTokens);
        json.WriteNumber("output_tokens"u8, outputOnly ? 0 : usage.BilledOutputTokens);
        json.WriteEndObject();
    }

    /// <summary>The internal usage of an Anthropic <c>usage</c> object (thinking is not reported apart).</summary>
    internal static TokenUsage ReadUsage(JsonElement usage) => new(
        usage.Count("input_tokens"),
        usage.Count("cache_read_input_tokens"),
        usage.Count("cache_creation_input_tokens"),
        usage.Count("output_tokens"),
        0);

    /// <summary>The <c>stop_reason</c> of an internal stop reason.</summary>
    internal static string StopReasonName(StopReason reason) => reason switch
    {
        StopReason.MaxTokens => "max_tokens",
        StopReason.StopSequence => "stop_sequence",
        StopReason.ToolUse => "tool_use",
        StopReason.ContentFilter => "refusal",
        _ => "end_turn",
    };

    /// <summary>
    /// The internal stop reason of a <c>stop_reason</c>. <c>pause_turn</c> comes only with server tools,
    /// which the gateway never sends when it translates: it reads as a natural end.
    /// </summary>
    internal static StopReason ReadStopReason(string? reason) => reason switch
    {
        "max_tokens" or "model_context_window_exceeded" => StopReason.MaxTokens,
        "stop_sequence" => StopReason.StopSequence,
        "tool_use" => StopReason.ToolUse,
        "refusal" => StopReason.ContentFilter,
        _ => StopReason.EndTurn,
    };

    /// <inheritdoc />
    public ChatResult ReadResponse(ReadOnlySpan<byte> json)
    {
        var root = WireJson.Parse(json);
        List<ContentPart> output = [];
        foreach (var block in root.Array("content"))
        {
            switch (block.Str("type"))
            {
                case "text":
                    output.Add(new TextPart(block.Str("text") ?? string.Empty));
                    break;
                case "thinking":
                    output.Add(new ThinkingPart(block.Str("thinking") ?? string.Empty, block.Str("signature")));
                    break;
                case "tool_use":
                    output.Add(new ToolCallPart(block.Str("id") ?? string.Empty, block.Str("name") ?? string.Empty, block.Has("input", out var input) ? input.GetRawText() : "{}"));
                    break;
                default:
                    break; // redacted thinking and server-tool blocks have no place in the other formats
            }
        }

        return new ChatResult
        {
            Id = root.Str("id") ?? "msg_0",
            Output = output,
            StopReason = ReadStopReason(root.Str("stop_reason")),
            StopSequence = root.Str("stop_sequence"),
            Usage = root.Has("usage", out var usage) && usage.ValueKind == JsonValueKind.Object ? ReadUsage(usage) : null,
        };
    }

    /// <inheritdoc />
    public IStreamEncoder CreateEncoder(string clientModel, ChatTurn request) => new AnthropicMessagesStreamEncoder(clientModel);

    /// <inheritdoc />
    public IStreamDecoder CreateDecoder() => new AnthropicMessagesStreamDecoder();
}
