using System.Text;
using System.Text.Json;

namespace Tollgate.FakeProviders.Bedrock;

/// <summary>What the fake needs of a Converse request body.</summary>
/// <param name="MaxTokens"><c>inferenceConfig.maxTokens</c> (4096 when absent).</param>
/// <param name="Thinking"><c>additionalModelRequestFields.thinking.type</c> is <c>enabled</c>.</param>
/// <param name="PromptTokens">The fake tokenizer's count of the text in <c>system</c> and <c>messages</c>.</param>
/// <param name="ToolName">The tool to call, when the answer is a tool call.</param>
/// <param name="ToolInput">Its arguments as JSON text.</param>
internal sealed record ConverseRequest(int MaxTokens, bool Thinking, int PromptTokens, string? ToolName, string? ToolInput)
{
    /// <summary>Parses <paramref name="body"/>, applying directives of the last user message to <paramref name="knobs"/>; null with the 400 when malformed.</summary>
    public static ConverseRequest? Parse(byte[] body, ref FakeKnobs knobs, out BedrockError? error)
    {
        error = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("messages"u8, out var messages) || messages.ValueKind != JsonValueKind.Array)
            {
                error = new BedrockError(400, "ValidationException", "1 validation error detected: Value null at 'messages' failed to satisfy constraint: Member must not be null");
                return null;
            }

            var maxTokens = 4096;
            if (root.TryGetProperty("inferenceConfig"u8, out var config) && config.TryGetProperty("maxTokens"u8, out var max) && !max.TryGetInt32(out maxTokens))
            {
                error = new BedrockError(400, "ValidationException", "inferenceConfig.maxTokens must be an integer.");
                return null;
            }

            long textBytes = root.TryGetProperty("system"u8, out var system) ? TextBytes(system) : 0;
            JsonElement lastUser = default;
            foreach (var message in messages.EnumerateArray())
            {
                if (!message.TryGetProperty("content"u8, out var content) || content.ValueKind != JsonValueKind.Array
                    || !message.TryGetProperty("role"u8, out var role))
                {
                    error = new BedrockError(400, "ValidationException", "Each message needs a role and a content array.");
                    return null;
                }

                textBytes += TextBytes(content);
                if (role.ValueEquals("user"u8))
                {
                    lastUser = content;
                }
            }

            var answersToolResult = false;
            if (lastUser.ValueKind == JsonValueKind.Array)
            {
                foreach (var block in lastUser.EnumerateArray())
                {
                    answersToolResult |= block.TryGetProperty("toolResult"u8, out _);
                    if (block.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        knobs.ApplyDirectives(text.GetString());
                    }
                }
            }

            var thinking = root.TryGetProperty("additionalModelRequestFields"u8, out var extra) && extra.ValueKind == JsonValueKind.Object
                && extra.TryGetProperty("thinking"u8, out var t) && t.TryGetProperty("type"u8, out var type) && type.ValueEquals("enabled"u8);
            string? toolName = null, toolInput = null;
            if (!answersToolResult && ChooseTool(root, knobs.ToolCall, knobs.ToolName) is { } spec)
            {
                toolName = spec.GetProperty("name"u8).GetString();
                toolInput = ToolArguments.For(spec.TryGetProperty("inputSchema"u8, out var schema) && schema.TryGetProperty("json"u8, out var json) ? json : default);
            }

            return new ConverseRequest(maxTokens, thinking, FakeExchange.TokensOfBytes(textBytes), toolName, toolInput);
        }
        catch (JsonException)
        {
            error = new BedrockError(400, "ValidationException", "The request body is not valid JSON.");
            return null;
        }
    }

    /// <summary>The toolSpec to call: the one <c>toolChoice.tool</c> names, else the knob's, else the first for <c>any</c> or the <c>tool_call</c> knob.</summary>
    private static JsonElement? ChooseTool(JsonElement root, bool knob, string? knobName)
    {
        if (!root.TryGetProperty("toolConfig"u8, out var config) || !config.TryGetProperty("tools"u8, out var tools) || tools.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var specs = tools.EnumerateArray()
            .Where(t => t.TryGetProperty("toolSpec"u8, out var s) && s.TryGetProperty("name"u8, out _))
            .Select(t => t.GetProperty("toolSpec"u8)).ToList();
        if (specs.Count == 0)
        {
            return null;
        }

        JsonElement? Named(string? name) => specs.FirstOrDefault(s => s.GetProperty("name"u8).ValueEquals(name)) is { ValueKind: JsonValueKind.Object } found ? found : null;
        if (config.TryGetProperty("toolChoice"u8, out var choice))
        {
            if (choice.TryGetProperty("tool"u8, out var named))
            {
                return Named(named.GetProperty("name"u8).GetString()) ?? specs[0];
            }

            if (choice.TryGetProperty("any"u8, out _))
            {
                return Named(knobName) ?? specs[0];
            }
        }

        return Named(knobName) ?? (knob ? specs[0] : null);
    }

    private static long TextBytes(JsonElement content)
    {
        long total = 0;
        if (content.ValueKind != JsonValueKind.Array)
        {
            return 0;
        }

        foreach (var block in content.EnumerateArray())
        {
            if (block.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String)
            {
                total += Encoding.UTF8.GetByteCount(text.GetString()!);
            }
            else if (block.TryGetProperty("toolResult"u8, out var result) && result.TryGetProperty("content"u8, out var inner))
            {
                total += TextBytes(inner);
            }
        }

        return total;
    }
}
