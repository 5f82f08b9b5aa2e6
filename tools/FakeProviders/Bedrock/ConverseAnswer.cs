using System.Text;
using System.Text.Json;

namespace Tollgate.FakeProviders.Bedrock;

/// <summary>
/// The whole answer to one Converse request, decided before a byte is written so the JSON answer and
/// the stream say the same thing. Blocks in order: reasoning (when thinking is enabled), then the tool
/// call or the text.
/// </summary>
internal sealed class ConverseAnswer
{
    private const int DefaultThinkingTokens = 3;

    /// <summary>Tool-input characters per <c>toolUse.input</c> delta.</summary>
    private const int ToolInputPieceLength = 8;

    public ConverseAnswer(string id, ConverseRequest request, in FakeKnobs knobs)
    {
        ThinkingTokens = request.Thinking ? (knobs.ReasoningTokens > 0 ? knobs.ReasoningTokens : DefaultThinkingTokens) : 0;
        if (request.ToolName is { } tool)
        {
            ToolUseId = "tooluse_" + id;
            ToolName = tool;
            ToolInput = request.ToolInput ?? "{}";
            ToolTokens = FakeExchange.TokensOfBytes(Encoding.UTF8.GetByteCount(ToolInput));
            StopReason = "tool_use";
        }
        else
        {
            TextTokens = Math.Min(Math.Max(0, knobs.Chunks), request.MaxTokens);
            StopReason = knobs.Chunks > request.MaxTokens ? "max_tokens" : "end_turn";
        }

        // Invariant: input + cache read + cache write = the prompt tokens (Bedrock reports them apart).
        CacheReadTokens = Math.Clamp(knobs.CachedTokens, 0, request.PromptTokens);
        CacheWriteTokens = Math.Clamp(knobs.CacheWriteTokens, 0, request.PromptTokens - CacheReadTokens);
        InputTokens = request.PromptTokens - CacheReadTokens - CacheWriteTokens;
        OutputTokens = ThinkingTokens + TextTokens + ToolTokens;
        Signature = Convert.ToBase64String(Encoding.UTF8.GetBytes("fake-signature:" + id));
    }

    public enum BlockKind
    {
        Text,
        Thinking,
        Tool,
    }

    public int ThinkingTokens { get; }

    public int TextTokens { get; }

    public string? ToolUseId { get; }

    public string? ToolName { get; }

    public string? ToolInput { get; }

    public int ToolTokens { get; }

    public string StopReason { get; }

    public int InputTokens { get; }

    public int CacheReadTokens { get; }

    public int CacheWriteTokens { get; }

    public int OutputTokens { get; }

    public string Signature { get; }

    /// <summary>The blocks with the text of each delta.</summary>
    public List<(BlockKind Kind, List<string> Pieces)> Blocks()
    {
        var blocks = new List<(BlockKind, List<string>)>(2);
        if (ThinkingTokens > 0)
        {
            blocks.Add((BlockKind.Thinking, [.. Enumerable.Range(0, ThinkingTokens).Select(i => FakeExchange.Token("think", i))]));
        }

        blocks.Add(ToolInput is { } input
            ? (BlockKind.Tool, FakeExchange.Pieces(input, ToolInputPieceLength))
            : (BlockKind.Text, [.. Enumerable.Range(0, TextTokens).Select(i => FakeExchange.Token("tok", i))]));
        return blocks;
    }

    /// <summary>The Converse answer: <c>output.message</c>, <c>stopReason</c>, <c>usage</c>, <c>metrics</c>.</summary>
    public void WriteJson(Utf8JsonWriter json, bool omitUsage)
    {
        json.WriteStartObject();
        json.WriteStartObject("output"u8);
        json.WriteStartObject("message"u8);
        json.WriteString("role"u8, "assistant"u8);
        json.WriteStartArray("content"u8);
        if (ThinkingTokens > 0)
        {
            json.WriteStartObject();
            json.WriteStartObject("reasoningContent"u8);
            json.WriteStartObject("reasoningText"u8);
            json.WriteString("text"u8, FakeExchange.Tokens("think", ThinkingTokens));
            json.WriteString("signature"u8, Signature);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteStartObject();
        if (ToolInput is { } input)
        {
            json.WriteStartObject("toolUse"u8);
            json.WriteString("toolUseId"u8, ToolUseId);
            json.WriteString("name"u8, ToolName);
            json.WritePropertyName("input"u8);
            json.WriteRawValue(input);
            json.WriteEndObject();
        }
        else
        {
            json.WriteString("text"u8, FakeExchange.Tokens("tok", TextTokens));
        }

        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteString("stopReason"u8, StopReason);
        if (!omitUsage)
        {
            WriteUsage(json);
        }

        json.WriteStartObject("metrics"u8);
        json.WriteNumber("latencyMs"u8, 1);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary><c>"usage": {inputTokens, outputTokens, totalTokens, cacheReadInputTokens, cacheWriteInputTokens}</c>.</summary>
    public void WriteUsage(Utf8JsonWriter json)
    {
        json.WriteStartObject("usage"u8);
        json.WriteNumber("inputTokens"u8, InputTokens);
        json.WriteNumber("outputTokens"u8, OutputTokens);
        json.WriteNumber("totalTokens"u8, InputTokens + CacheReadTokens + CacheWriteTokens + OutputTokens);
        if (CacheReadTokens > 0 || CacheWriteTokens > 0)
        {
            json.WriteNumber("cacheReadInputTokens"u8, CacheReadTokens);
            json.WriteNumber("cacheWriteInputTokens"u8, CacheWriteTokens);
        }

        json.WriteEndObject();
    }
}
