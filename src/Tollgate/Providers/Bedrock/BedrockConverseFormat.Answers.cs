using System.Text.Json;
using Tollgate.Catalog;
using Tollgate.Gateway.Translation;

namespace Tollgate.Providers.Bedrock;

/// <summary>Converse answers read into the internal form.</summary>
internal sealed partial class BedrockConverseFormat
{
    /// <inheritdoc />
    public IStreamDecoder CreateDecoder() => new BedrockConverseStreamDecoder();

    /// <inheritdoc />
    /// <remarks>
    /// <c>{"output":{"message":{"role":"assistant","content":[...]}},"stopReason":...,"usage":{...}}</c>.
    /// Converse answers carry no id (AWS puts a request id in a header), so one is made up.
    /// </remarks>
    public ChatResult ReadResponse(ReadOnlySpan<byte> json)
    {
        var root = WireJson.Parse(json);
        List<ContentPart> output = [];
        if (root.Has("output", out var outputObject) && outputObject.Has("message", out var message))
        {
            foreach (var block in message.Array("content"))
            {
                if (ReadBlock(block) is { } part)
                {
                    output.Add(part);
                }
            }
        }

        return new ChatResult
        {
            Id = NewId(),
            Output = output,
            StopReason = ReadStopReason(root.Str("stopReason")),
            Usage = root.Has("usage", out var usage) ? ReadUsage(usage) : null,
        };
    }

    /// <summary>An id for an answer (Converse gives none in the body).</summary>
    internal static string NewId() => "bedrock-" + Guid.NewGuid().ToString("N");

    /// <summary>
    /// Converse usage: <c>inputTokens</c> excludes the cache reads and writes, which come as
    /// <c>cacheReadInputTokens</c> and <c>cacheWriteInputTokens</c>; reasoning is inside <c>outputTokens</c>.
    /// </summary>
    internal static TokenUsage ReadUsage(JsonElement usage) =>
        new(usage.Count("inputTokens"), usage.Count("cacheReadInputTokens"), usage.Count("cacheWriteInputTokens"), usage.Count("outputTokens"), 0);

    /// <summary>A Converse stop reason in the internal form.</summary>
    internal static StopReason ReadStopReason(string? reason) => reason switch
    {
        "tool_use" => StopReason.ToolUse,
        "max_tokens" or "model_context_window_exceeded" => StopReason.MaxTokens,
        "stop_sequence" => StopReason.StopSequence,
        "guardrail_intervened" or "content_filtered" => StopReason.ContentFilter,
        _ => StopReason.EndTurn,
    };

    private static ContentPart? ReadBlock(JsonElement block)
    {
        if (block.Str("text") is { } text)
        {
            return new TextPart(text);
        }

        if (block.Has("toolUse", out var toolUse))
        {
            var input = toolUse.Has("input", out var i) ? i.GetRawText() : "{}";
            return new ToolCallPart(toolUse.Str("toolUseId") ?? string.Empty, toolUse.Str("name") ?? string.Empty, input);
        }

        if (block.Has("reasoningContent", out var reasoning) && reasoning.Has("reasoningText", out var reasoningText))
        {
            return new ThinkingPart(reasoningText.Str("text") ?? string.Empty, reasoningText.Str("signature"));
        }

        return null; // redacted reasoning, citations, guard content: nothing the other formats can hold
    }
}
