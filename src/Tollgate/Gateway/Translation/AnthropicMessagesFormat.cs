using System.Text.Json;
using Tollgate.Gateway.Errors;

namespace Tollgate.Gateway.Translation;

/// <summary>
/// Anthropic Messages (<c>POST /v1/messages</c>) translated to and from the internal form: requests
/// read here and written in the <c>.Upstream</c> part, answers in the <c>.Answers</c> part, streams in <see cref="AnthropicMessagesStreamDecoder"/> and
/// <see cref="AnthropicMessagesStreamEncoder"/>.
/// </summary>
/// <remarks>
/// Not carried, having no effect on what the model produces: <c>cache_control</c> (the other formats cache
/// prompts by themselves), <c>metadata</c>, <c>service_tier</c>, citations settings. Refused with a 400:
/// <c>redacted_thinking</c> (encrypted for Anthropic alone), documents, server and client-executed
/// built-in tools, <c>top_k</c>, structured output formats, MCP servers, containers, unknown fields.
/// A tool result's <c>is_error</c> has no field in the OpenAI formats; the result's content goes across.
/// Thinking is sent back to Anthropic only when it carries an Anthropic signature (the API verifies it
/// and refuses unsigned or foreign thinking; earlier turns' thinking is ignored by the model anyway).
/// </remarks>
internal sealed partial class AnthropicMessagesFormat : IChatWireFormat
{
    /// <summary>Messages answers have no block for an image the model made (images are input only).</summary>
    public bool CarriesImageOutput => false;

    /// <inheritdoc />
    public (ChatTurn? Turn, GatewayError? Error) ReadRequest(ReadOnlySpan<byte> json)
    {
        try
        {
            return (ReadTurn(WireJson.ParseRequest(json)), null);
        }
        catch (TranslationException e)
        {
            return (null, e.Error);
        }
    }

    private static ChatTurn ReadTurn(JsonElement root)
    {
        string? model = null;
        List<ContentPart> system = [];
        List<ChatMessage> messages = [];
        List<ToolDefinition> tools = [];
        List<string> stop = [];
        ToolChoice? toolChoice = null;
        bool? parallel = null;
        long? maxTokens = null;
        double? temperature = null, topP = null;
        var stream = false;
        long? budget = null;
        string? effort = null;
        var thinkingOn = false;
        var sawMessages = false;

        foreach (var field in root.EnumerateObject())
        {
            var value = field.Value;
            if (value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            switch (field.Name)
            {
                case "model":
                    model = root.Str("model");
                    break;
                case "messages":
                    sawMessages = true;
                    ReadMessages(value, messages);
                    break;
                case "system":
                    if (value.ValueKind == JsonValueKind.String)
                    {
                        system.Add(new TextPart(value.GetString()!));
                    }
                    else
                    {
                        foreach (var block in root.Array("system"))
                        {
                            if (block.Str("type", "system[].type") != "text")
                            {
                                throw TranslationException.Unsupported("System blocks other than text", "system");
                            }

                            system.Add(new TextPart(block.ReqStr("text", "system[].text")));
                        }
                    }

                    break;
                case "max_tokens":
                    maxTokens = root.Long("max_tokens");
                    break;
                case "temperature":
                    temperature = root.Num("temperature");
                    break;
                case "top_p":
                    topP = root.Num("top_p");
                    break;
                case "stop_sequences":
                    foreach (var s in root.Array("stop_sequences"))
                    {
                        stop.Add(s.ValueKind == JsonValueKind.String ? s.GetString()! : throw TranslationException.Invalid("'stop_sequences' must be strings.", "stop_sequences"));
                    }

                    break;
                case "stream":
                    stream = root.Bool("stream") ?? false;
                    break;
                case "tools":
                    foreach (var tool in root.Array("tools"))
                    {
                        tools.Add(ReadTool(tool));
                    }

                    break;
                case "tool_choice":
                    (toolChoice, parallel) = ReadToolChoice(value);
                    break;
                case "thinking":
                    switch (value.Str("type", "thinking.type"))
                    {
                        case "enabled":
                            thinkingOn = true;
                            budget = value.Long("budget_tokens") ?? throw TranslationException.Invalid("'thinking.budget_tokens' is required.", "thinking.budget_tokens");
                            break;
                        case "adaptive":
                            thinkingOn = true;
                            break;
                        case "disabled":
                            break;
                        default:
                            throw TranslationException.Unsupported("This 'thinking' type", "thinking.type");
                    }

                    break;
                case "output_config":
                    value.RefuseIfPresent("format", "Structured output ('output_config.format')", "output_config.format");
                    effort = value.Str("effort", "output_config.effort") is { } e ? (e == "max" ? "xhigh" : e) : null;
                    break;
                case "metadata":
                case "service_tier":
                    break; // no effect on what the model produces: see the class remarks
                default:
                    // top_k, container, mcp_servers, context_management, and unknown fields.
                    throw TranslationException.Unsupported($"'{field.Name}'", field.Name);
            }
        }

        if (model is null)
        {
            throw TranslationException.Invalid("'model' is required.", "model");
        }

        if (!sawMessages)
        {
            throw TranslationException.Invalid("'messages' is required.", "messages");
        }

        // Adaptive thinking without an effort thinks at Anthropic's default effort, high.
        Reasoning? reasoning = budget is not null ? new Reasoning(null, budget)
            : thinkingOn ? new Reasoning(effort ?? "high", null)
            : effort is not null ? new Reasoning(effort, null)
            : null;
        return new ChatTurn
        {
            Model = model,
            System = system,
            Messages = messages,
            Tools = tools,
            ToolChoice = toolChoice,
            ParallelToolCalls = parallel,
            MaxOutputTokens = maxTokens,
            Temperature = temperature,
            TopP = topP,
            Stop = stop,
            Stream = stream,
            Reasoning = reasoning,
        };
    }

    private static void ReadMessages(JsonElement array, List<ChatMessage> messages)
    {
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw TranslationException.Invalid("'messages' must be an array.", "messages");
        }

        var i = 0;
        foreach (var message in array.EnumerateArray())
        {
            var at = $"messages[{i++}]";
            var role = message.ValueKind == JsonValueKind.Object ? message.ReqStr("role", at + ".role") : throw TranslationException.Invalid($"'{at}' must be an object.", at);
            if (role is not ("user" or "assistant"))
            {
                throw TranslationException.Invalid($"Unknown role '{role}'.", at + ".role");
            }

            if (!message.Has("content", out var content))
            {
                throw TranslationException.Invalid($"'{at}.content' is required.", at + ".content");
            }

            if (content.ValueKind == JsonValueKind.String)
            {
                messages.Add(new ChatMessage(role == "user" ? ChatRole.User : ChatRole.Assistant, [new TextPart(content.GetString()!)]));
                continue;
            }

            if (content.ValueKind != JsonValueKind.Array)
            {
                throw TranslationException.Invalid($"'{at}.content' must be a string or an array.", at + ".content");
            }

            List<ContentPart> results = [], parts = [];
            var k = 0;
            foreach (var block in content.EnumerateArray())
            {
                var blockAt = $"{at}.content[{k++}]";
                var type = block.ReqStr("type", blockAt + ".type");
                switch (type)
                {
                    case "text":
                        parts.Add(new TextPart(block.ReqStr("text", blockAt + ".text")));
                        break;
                    case "image" when role == "user":
                        parts.Add(ReadImage(block, blockAt));
                        break;
                    case "tool_result" when role == "user":
                        results.Add(new ToolResultPart(
                            block.ReqStr("tool_use_id", blockAt + ".tool_use_id"),
                            ReadToolResultContent(block, blockAt),
                            block.Bool("is_error") ?? false));
                        break;
                    case "tool_use" when role == "assistant":
                        var input = block.Has("input", out var inputValue) ? inputValue.GetRawText() : "{}";
                        parts.Add(new ToolCallPart(block.ReqStr("id", blockAt + ".id"), block.ReqStr("name", blockAt + ".name"), input));
                        break;
                    case "thinking" when role == "assistant":
                        parts.Add(new ThinkingPart(block.Str("thinking", blockAt + ".thinking") ?? string.Empty, block.Str("signature", blockAt + ".signature")));
                        break;
                    case "redacted_thinking":
                        throw TranslationException.Unsupported("Redacted thinking (encrypted for Anthropic alone)", blockAt);
                    default:
                        throw TranslationException.Unsupported($"Content blocks of type '{type}' here", blockAt + ".type");
                }
            }

            // Tool results come first in a user turn; they become their own tool message.
            if (results.Count > 0)
            {
                messages.Add(new ChatMessage(ChatRole.Tool, results));
            }

            if (parts.Count > 0 || results.Count == 0)
            {
                messages.Add(new ChatMessage(role == "user" ? ChatRole.User : ChatRole.Assistant, parts));
            }
        }
    }

    private static ImagePart ReadImage(JsonElement block, string at)
    {
        if (!block.Has("source", out var source) || source.ValueKind != JsonValueKind.Object)
        {
            throw TranslationException.Invalid($"'{at}.source' is required.", at + ".source");
        }

        return source.Str("type", at + ".source.type") switch
        {
            "base64" => new ImagePart(source.ReqStr("media_type", at + ".source.media_type"), source.ReqStr("data", at + ".source.data"), null),
            "url" => new ImagePart(null, null, source.ReqStr("url", at + ".source.url")),
            var other => throw TranslationException.Unsupported($"Image sources of type '{other}'", at + ".source.type"),
        };
    }

    private static List<ContentPart> ReadToolResultContent(JsonElement block, string at)
    {
        if (!block.Has("content", out var content))
        {
            return [];
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return [new TextPart(content.GetString()!)];
        }

        List<ContentPart> parts = [];
        var k = 0;
        foreach (var item in block.Array("content"))
        {
            var itemAt = $"{at}.content[{k++}]";
            switch (item.ReqStr("type", itemAt + ".type"))
            {
                case "text":
                    parts.Add(new TextPart(item.ReqStr("text", itemAt + ".text")));
                    break;
                case "image":
                    parts.Add(ReadImage(item, itemAt));
                    break;
                case var other:
                    throw TranslationException.Unsupported($"Tool results holding '{other}'", itemAt + ".type");
            }
        }

        return parts;
    }

    private static ToolDefinition ReadTool(JsonElement tool)
    {
        if (tool.Str("type", "tools[].type") is { } type && type != "custom")
        {
            throw TranslationException.Unsupported($"Built-in tools ('{type}')", "tools");
        }

        var schema = tool.Has("input_schema", out var s) ? s : WireJson.EmptyObjectSchema;
        return new ToolDefinition(tool.ReqStr("name", "tools[].name"), tool.Str("description", "tools[].description"), schema);
    }

    private static (ToolChoice Choice, bool? Parallel) ReadToolChoice(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw TranslationException.Invalid("'tool_choice' must be an object.", "tool_choice");
        }

        var choice = value.Str("type", "tool_choice.type") switch
        {
            "auto" => new ToolChoice(ToolChoiceKind.Auto),
            "any" => new ToolChoice(ToolChoiceKind.Required),
            "none" => new ToolChoice(ToolChoiceKind.None),
            "tool" => new ToolChoice(ToolChoiceKind.Tool, value.ReqStr("name", "tool_choice.name")),
            var other => throw TranslationException.Invalid($"Unknown tool_choice type '{other}'.", "tool_choice.type"),
        };
        return (choice, value.Bool("disable_parallel_tool_use") is { } disable ? !disable : null);
    }
}
