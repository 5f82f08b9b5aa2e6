using System.Text;
using System.Text.Json;
using Tollgate.Gateway.Errors;

namespace Tollgate.Gateway.Translation;

/// <summary>
/// OpenAI Responses (<c>POST /v1/responses</c>) translated to and from the internal form: requests here
/// (reading) and in the <c>.Upstream</c> part (writing), answers in the <c>.Answers</c> part, streams in
/// <see cref="ResponsesStreamDecoder"/> and <see cref="ResponsesStreamEncoder"/>.
/// </summary>
/// <remarks>
/// Not carried, having no effect on what the model produces: <c>store</c>, <c>metadata</c>, <c>user</c>,
/// <c>safety_identifier</c>, <c>prompt_cache_key</c>, <c>service_tier</c>, <c>include</c>, <c>stream_options</c>,
/// <c>text.verbosity</c>, <c>reasoning.summary</c>, an image's <c>detail</c>, a function's <c>strict</c>.
/// Refused with a 400 naming them: built-in tools (web search, file search, computer use, code
/// interpreter, MCP, image generation, shell, custom tools), <c>previous_response_id</c>,
/// <c>conversation</c>, <c>background</c>, <c>prompt</c>, <c>truncation: auto</c>, structured output
/// formats, file inputs, item references, <c>max_tool_calls</c>, <c>top_logprobs</c>, unknown fields.
/// Responses has no stop sequences: a request with them cannot be sent to a Responses provider.
/// </remarks>
internal sealed partial class ResponsesFormat(TimeProvider time) : IChatWireFormat
{
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
        ToolChoice? toolChoice = null;
        bool? parallel = null;
        long? maxTokens = null;
        double? temperature = null, topP = null;
        var stream = false;
        Reasoning? reasoning = null;
        var sawInput = false;

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
                case "instructions":
                    system.Insert(0, new TextPart(root.Str("instructions")!));
                    break;
                case "input":
                    sawInput = true;
                    if (value.ValueKind == JsonValueKind.String)
                    {
                        messages.Add(new ChatMessage(ChatRole.User, [new TextPart(value.GetString()!)]));
                    }
                    else
                    {
                        ReadItems(value, system, messages);
                    }

                    break;
                case "tools":
                    foreach (var tool in root.Array("tools"))
                    {
                        tools.Add(ReadTool(tool));
                    }

                    break;
                case "tool_choice":
                    toolChoice = ReadToolChoice(value);
                    break;
                case "parallel_tool_calls":
                    parallel = root.Bool("parallel_tool_calls");
                    break;
                case "max_output_tokens":
                    maxTokens = root.Long("max_output_tokens");
                    break;
                case "temperature":
                    temperature = root.Num("temperature");
                    break;
                case "top_p":
                    topP = root.Num("top_p");
                    break;
                case "reasoning":
                    if (value.Str("effort", "reasoning.effort") is { } effort)
                    {
                        _ = ReasoningMap.BudgetFor(effort); // validates the level
                        reasoning = effort == "none" ? null : new Reasoning(effort, null);
                    }

                    break;
                case "stream":
                    stream = root.Bool("stream") ?? false;
                    break;
                case "text":
                    if (value.Has("format", out var format) && format.Str("type", "text.format.type") != "text")
                    {
                        throw TranslationException.Unsupported("Structured output ('text.format')", "text.format");
                    }

                    break;
                case "truncation":
                    if (root.Str("truncation") != "disabled")
                    {
                        throw TranslationException.Unsupported("'truncation: auto'", "truncation");
                    }

                    break;
                case "background":
                    if (root.Bool("background") is true)
                    {
                        throw TranslationException.Unsupported("Background responses", "background");
                    }

                    break;
                case "top_logprobs":
                    if (root.Long("top_logprobs") is not 0)
                    {
                        throw TranslationException.Unsupported("'top_logprobs'", "top_logprobs");
                    }

                    break;
                case "store":
                case "metadata":
                case "user":
                case "safety_identifier":
                case "prompt_cache_key":
                case "prompt_cache_retention":
                case "service_tier":
                case "include":
                case "stream_options":
                    break; // no effect on what the model produces: see the class remarks
                default:
                    // previous_response_id, conversation, prompt, max_tool_calls, and unknown fields.
                    throw TranslationException.Unsupported($"'{field.Name}'", field.Name);
            }
        }

        if (model is null)
        {
            throw TranslationException.Invalid("'model' is required.", "model");
        }

        if (!sawInput)
        {
            throw TranslationException.Invalid("'input' is required.", "input");
        }

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
            Stream = stream,
            Reasoning = reasoning,
        };
    }

    /// <summary>
    /// The input items. Output items of one model turn (reasoning, message, function calls) that
    /// follow each other form one assistant message; function call outputs that follow each other
    /// form one tool message.
    /// </summary>
    private static void ReadItems(JsonElement items, List<ContentPart> system, List<ChatMessage> messages)
    {
        if (items.ValueKind != JsonValueKind.Array)
        {
            throw TranslationException.Invalid("'input' must be a string or an array.", "input");
        }

        var i = 0;
        foreach (var item in items.EnumerateArray())
        {
            var at = $"input[{i++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw TranslationException.Invalid($"'{at}' must be an object.", at);
            }

            var type = item.Str("type", at + ".type") ?? "message";
            switch (type)
            {
                case "message":
                    var role = item.ReqStr("role", at + ".role");
                    switch (role)
                    {
                        case "system":
                        case "developer":
                            system.AddRange(ReadContent(item, at, allowImages: false));
                            break;
                        case "user":
                            messages.Add(new ChatMessage(ChatRole.User, ReadContent(item, at, allowImages: true)));
                            break;
                        case "assistant":
                            Turn(messages, ChatRole.Assistant).AddRange(ReadContent(item, at, allowImages: false));
                            break;
                        default:
                            throw TranslationException.Invalid($"Unknown role '{role}'.", at + ".role");
                    }

                    break;
                case "function_call":
                    Turn(messages, ChatRole.Assistant).Add(new ToolCallPart(
                        item.ReqStr("call_id", at + ".call_id"), item.ReqStr("name", at + ".name"), item.Str("arguments", at + ".arguments") ?? string.Empty));
                    break;
                case "function_call_output":
                    Turn(messages, ChatRole.Tool).Add(new ToolResultPart(item.ReqStr("call_id", at + ".call_id"), ReadOutput(item, at), false));
                    break;
                case "reasoning":
                    var summary = new StringBuilder();
                    foreach (var s in item.Array("summary"))
                    {
                        if (s.Str("text", at + ".summary[].text") is { } text)
                        {
                            summary.Append(summary.Length > 0 ? "\n\n" : string.Empty).Append(text);
                        }
                    }

                    Turn(messages, ChatRole.Assistant).Add(new ThinkingPart(summary.ToString(), ReasoningMap.Pack(item.ReqStr("id", at + ".id"), item.Str("encrypted_content", at + ".encrypted_content"))));
                    break;
                default:
                    // item_reference, built-in tool calls and their outputs, custom tool calls.
                    throw TranslationException.Unsupported($"Input items of type '{type}'", at + ".type");
            }
        }
    }

    private static List<ContentPart> Turn(List<ChatMessage> messages, ChatRole role)
    {
        if (messages.Count > 0 && messages[^1].Role == role)
        {
            return messages[^1].Parts;
        }

        var message = new ChatMessage(role, []);
        messages.Add(message);
        return message.Parts;
    }

    private static List<ContentPart> ReadContent(JsonElement item, string at, bool allowImages)
    {
        if (!item.Has("content", out var content))
        {
            throw TranslationException.Invalid($"'{at}.content' is required.", at + ".content");
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return [new TextPart(content.GetString()!)];
        }

        List<ContentPart> parts = [];
        var k = 0;
        foreach (var part in item.Array("content"))
        {
            var partAt = $"{at}.content[{k++}]";
            var type = part.ReqStr("type", partAt + ".type");
            switch (type)
            {
                case "input_text":
                case "output_text":
                    parts.Add(new TextPart(part.ReqStr("text", partAt + ".text")));
                    break;
                case "refusal":
                    parts.Add(new TextPart(part.ReqStr("refusal", partAt + ".refusal")));
                    break;
                case "input_image" when allowImages:
                    parts.Add(ReadImage(part, partAt));
                    break;
                default:
                    throw TranslationException.Unsupported($"Content parts of type '{type}' here", partAt + ".type");
            }
        }

        return parts;
    }

    private static ImagePart ReadImage(JsonElement part, string at)
    {
        part.RefuseIfPresent("file_id", "Images given by file id");
        var url = part.ReqStr("image_url", at + ".image_url");
        return WireJson.ParseDataUrl(url, at + ".image_url") is { } data ? new ImagePart(data.MediaType, data.Base64, null) : new ImagePart(null, null, url);
    }

    private static List<ContentPart> ReadOutput(JsonElement item, string at)
    {
        if (!item.Has("output", out var output))
        {
            return [];
        }

        if (output.ValueKind == JsonValueKind.String)
        {
            return [new TextPart(output.GetString()!)];
        }

        List<ContentPart> parts = [];
        var k = 0;
        foreach (var part in item.Array("output"))
        {
            var partAt = $"{at}.output[{k++}]";
            switch (part.ReqStr("type", partAt + ".type"))
            {
                case "input_text":
                    parts.Add(new TextPart(part.ReqStr("text", partAt + ".text")));
                    break;
                case "input_image":
                    parts.Add(ReadImage(part, partAt));
                    break;
                case var other:
                    throw TranslationException.Unsupported($"Function outputs holding '{other}'", partAt + ".type");
            }
        }

        return parts;
    }

    private static ToolDefinition ReadTool(JsonElement tool)
    {
        var type = tool.Str("type", "tools[].type");
        if (type != "function")
        {
            throw TranslationException.Unsupported($"Built-in tools ('{type}')", "tools");
        }

        var schema = tool.Has("parameters", out var parameters) ? parameters : WireJson.EmptyObjectSchema;
        return new ToolDefinition(tool.ReqStr("name", "tools[].name"), tool.Str("description", "tools[].description"), schema);
    }

    private static ToolChoice ReadToolChoice(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString() switch
            {
                "auto" => new ToolChoice(ToolChoiceKind.Auto),
                "none" => new ToolChoice(ToolChoiceKind.None),
                "required" => new ToolChoice(ToolChoiceKind.Required),
                var other => throw TranslationException.Invalid($"Unknown tool_choice '{other}'.", "tool_choice"),
            };
        }

        if (value.ValueKind == JsonValueKind.Object && value.Str("type", "tool_choice.type") == "function")
        {
            return new ToolChoice(ToolChoiceKind.Tool, value.ReqStr("name", "tool_choice.name"));
        }

        throw TranslationException.Unsupported("This 'tool_choice'", "tool_choice");
    }
}
