using System.Text;
using System.Text.Json;

namespace Tollgate.FakeProviders.Anthropic;

/// <summary>What the fake needs from a Messages (or count_tokens) request body.</summary>
/// <param name="Model">The <c>model</c>, echoed in the answer.</param>
/// <param name="MaxTokens"><c>max_tokens</c> (0 for count_tokens, which has none).</param>
/// <param name="Stream">Whether <c>"stream": true</c>.</param>
/// <param name="Thinking">Whether <c>thinking.type</c> is <c>enabled</c> or <c>adaptive</c>.</param>
/// <param name="PromptTokens">
/// max(1, ceil(UTF-8 bytes / 4)) of the text of <c>system</c> and of every message: string contents,
/// <c>text</c> blocks, and the contents of <c>tool_result</c> blocks.
/// </param>
/// <param name="ToolName">The tool to call, when the answer is a tool call.</param>
/// <param name="ToolInput">The arguments of that call as JSON text.</param>
internal sealed record MessagesRequest(string Model, int MaxTokens, bool Stream, bool Thinking, int PromptTokens, string? ToolName, string? ToolInput)
{
    /// <summary>
    /// Parses <paramref name="body"/>. Directives in the last user message are applied to
    /// <paramref name="knobs"/>. A bad request comes back as an error value.
    /// </summary>
    public static MessagesRequest? Parse(byte[] body, bool countTokens, ref FakeKnobs knobs, out AnthropicError? error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            error = AnthropicError.BadRequest("The request body is not valid JSON.");
            return null;
        }

        using (document)
        {
            return Parse(document.RootElement, countTokens, ref knobs, out error);
        }
    }

    private static MessagesRequest? Parse(JsonElement root, bool countTokens, ref FakeKnobs knobs, out AnthropicError? error)
    {
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = AnthropicError.BadRequest("The request body must be a JSON object.");
            return null;
        }

        if (!root.TryGetProperty("model"u8, out var model) || model.ValueKind != JsonValueKind.String)
        {
            error = AnthropicError.BadRequest("model: Field required");
            return null;
        }

        var maxTokens = 0;
        if (!countTokens)
        {
            if (!root.TryGetProperty("max_tokens"u8, out var limit) || limit.ValueKind == JsonValueKind.Null)
            {
                error = AnthropicError.BadRequest("max_tokens: Field required");
                return null;
            }

            if (!limit.TryGetInt32(out maxTokens) || maxTokens < 1)
            {
                error = AnthropicError.BadRequest("max_tokens: Input should be greater than or equal to 1");
                return null;
            }
        }

        if (!root.TryGetProperty("messages"u8, out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            error = AnthropicError.BadRequest("messages: Field required");
            return null;
        }

        long textBytes = root.TryGetProperty("system"u8, out var system) ? TextBytes(system) : 0;
        JsonElement lastUser = default;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("content"u8, out var content))
            {
                error = AnthropicError.BadRequest("messages: each message must be an object with a role and content");
                return null;
            }

            textBytes += TextBytes(content);
            if (message.TryGetProperty("role"u8, out var role) && role.ValueEquals("user"u8))
            {
                lastUser = content;
            }
        }

        var answersToolResult = false;
        if (lastUser.ValueKind == JsonValueKind.String)
        {
            knobs.ApplyDirectives(lastUser.GetString());
        }
        else if (lastUser.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in lastUser.EnumerateArray())
            {
                if (IsBlock(block, "tool_result"u8))
                {
                    answersToolResult = true;
                }
                else if (IsBlock(block, "text"u8) && block.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String)
                {
                    knobs.ApplyDirectives(text.GetString());
                }
            }
        }

        var stream = root.TryGetProperty("stream"u8, out var streamElement) && streamElement.ValueKind == JsonValueKind.True;
        var thinking = root.TryGetProperty("thinking"u8, out var thinkingElement)
            && thinkingElement.ValueKind == JsonValueKind.Object
            && thinkingElement.TryGetProperty("type"u8, out var thinkingType)
            && (thinkingType.ValueEquals("enabled"u8) || thinkingType.ValueEquals("adaptive"u8));

        string? toolName = null;
        string? toolInput = null;
        if (!answersToolResult && ChooseTool(root, knobs.ToolCall, knobs.ToolName) is { } tool)
        {
            toolName = tool.GetProperty("name"u8).GetString();
            toolInput = ToolArguments.For(tool.TryGetProperty("input_schema"u8, out var schema) ? schema : default);
        }

        return new MessagesRequest(model.GetString()!, maxTokens, stream, thinking, FakeExchange.TokensOfBytes(textBytes), toolName, toolInput);
    }

    /// <summary>
    /// The tool to call: the one <c>tool_choice</c> names, else the one the <c>tool_name</c> knob names (when
    /// offered), else the first tool when <c>tool_choice</c> is <c>any</c> or the <c>tool_call</c> knob asks;
    /// none when <c>tool_choice</c> is <c>none</c> or there are no tools.
    /// </summary>
    private static JsonElement? ChooseTool(JsonElement root, bool knob, string? knobName)
    {
        if (!root.TryGetProperty("tools"u8, out var tools) || tools.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        JsonElement? first = null;
        foreach (var tool in tools.EnumerateArray())
        {
            if (tool.ValueKind == JsonValueKind.Object && tool.TryGetProperty("name"u8, out var name) && name.ValueKind == JsonValueKind.String)
            {
                first = tool;
                break;
            }
        }

        if (first is null)
        {
            return null;
        }

        var choice = root.TryGetProperty("tool_choice"u8, out var choiceElement) && choiceElement.ValueKind == JsonValueKind.Object
            && choiceElement.TryGetProperty("type"u8, out var type) ? type.GetString() : "auto";
        switch (choice)
        {
            case "none":
                return null;
            case "tool" when choiceElement.TryGetProperty("name"u8, out var wanted):
                return Named(tools, wanted.GetString()) ?? first;
            case "any":
                return (knobName is null ? null : Named(tools, knobName)) ?? first;
            default:
                return knobName is not null && Named(tools, knobName) is { } named ? named : knob ? first : null;
        }
    }

    private static JsonElement? Named(JsonElement tools, string? wanted)
    {
        foreach (var tool in tools.EnumerateArray())
        {
            if (tool.ValueKind == JsonValueKind.Object && tool.TryGetProperty("name"u8, out var name) && name.ValueEquals(wanted))
            {
                return tool;
            }
        }

        return null;
    }

    private static bool IsBlock(JsonElement block, ReadOnlySpan<byte> type) =>
        block.ValueKind == JsonValueKind.Object && block.TryGetProperty("type"u8, out var value) && value.ValueEquals(type);

    /// <summary>UTF-8 bytes of the text in a content: a string, or the text of <c>text</c> and <c>tool_result</c> blocks.</summary>
    private static long TextBytes(JsonElement content)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return Encoding.UTF8.GetByteCount(content.GetString()!);
            case JsonValueKind.Array:
                long total = 0;
                foreach (var block in content.EnumerateArray())
                {
                    if (IsBlock(block, "text"u8) && block.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        total += Encoding.UTF8.GetByteCount(text.GetString()!);
                    }
                    else if (IsBlock(block, "tool_result"u8) && block.TryGetProperty("content"u8, out var result))
                    {
                        total += TextBytes(result);
                    }
                }

                return total;
            default:
                return 0;
        }
    }
}
