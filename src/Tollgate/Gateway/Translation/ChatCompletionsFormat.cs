using System.Text.Json;
using Tollgate.Gateway.Errors;

namespace Tollgate.Gateway.Translation;

/// <summary>
/// OpenAI Chat Completions (<c>POST /v1/chat/completions</c>) translated to and from the internal form:
/// requests read here and written in the <c>.Upstream</c> part, answers in the <c>.Answers</c> part, streams in <see cref="ChatCompletionsStreamDecoder"/>
/// and <see cref="ChatCompletionsStreamEncoder"/>.
/// </summary>
/// <remarks>
/// Fields with no effect on what the model produces (<c>user</c>, <c>metadata</c>, <c>store</c>,
/// <c>service_tier</c>, <c>safety_identifier</c>, <c>prompt_cache_key</c>, <c>verbosity</c>, an image's
/// <c>detail</c>, a tool's <c>strict</c>) are not carried. Everything else the internal form cannot hold
/// (<c>n</c> &gt; 1, penalties, seeds, logprobs, response formats, audio, legacy functions, unknown
/// fields) is a 400 naming it. System and developer messages anywhere in the conversation become the
/// system prompt, in order. Assistant reasoning is never sent back to a Chat provider: the format has no
/// field for it, and providers discard earlier turns' reasoning.
/// </remarks>
internal sealed partial class ChatCompletionsFormat(TimeProvider time) : IChatWireFormat
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
        List<string> stop = [];
        ToolChoice? toolChoice = null;
        bool? parallel = null;
        long? maxTokens = null;
        double? temperature = null, topP = null;
        bool stream = false, includeUsage = false;
        Reasoning? reasoning = null;
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
                    ReadMessages(value, system, messages);
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
                case "max_completion_tokens":
                case "max_tokens":
                    // max_completion_tokens wins when both are given, as OpenAI reads them.
                    var limit = root.Long(field.Name);
                    maxTokens = field.Name == "max_completion_tokens" || maxTokens is null ? limit : maxTokens;
                    break;
                case "temperature":
                    temperature = root.Num("temperature");
                    break;
                case "top_p":
                    topP = root.Num("top_p");
                    break;
                case "stop":
                    ReadStop(value, stop);
                    break;
                case "reasoning_effort":
                    var effort = root.ReqStr("reasoning_effort", "reasoning_effort");
                    _ = ReasoningMap.BudgetFor(effort); // validates the level
                    reasoning = effort == "none" ? null : new Reasoning(effort, null);
                    break;
                case "stream":
                    stream = root.Bool("stream") ?? false;
                    break;
                case "stream_options":
                    includeUsage = value.ValueKind == JsonValueKind.Object && (value.Bool("include_usage") ?? false);
                    break;
                case "n":
                    if (root.Long("n") is not 1)
                    {
                        throw TranslationException.Unsupported("'n' other than 1", "n");
                    }

                    break;
                case "presence_penalty":
                case "frequency_penalty":
                    if (root.Num(field.Name) is not 0)
                    {
                        throw TranslationException.Unsupported($"'{field.Name}'", field.Name);
                    }

                    break;
                case "logprobs":
                    if (root.Bool("logprobs") is true)
                    {
                        throw TranslationException.Unsupported("'logprobs'", "logprobs");
                    }

                    break;
                case "response_format":
                    if (value.ValueKind != JsonValueKind.Object || value.Str("type", "response_format.type") != "text")
                    {
                        throw TranslationException.Unsupported("'response_format' (structured output)", "response_format");
                    }

                    break;
                case "modalities":
                    foreach (var modality in value.EnumerateArray())
                    {
                        if (modality.ValueKind != JsonValueKind.String || modality.GetString() != "text")
                        {
                            throw TranslationException.Unsupported("Output modalities other than text", "modalities");
                        }
                    }

                    break;
                case "logit_bias":
                    if (value.ValueKind != JsonValueKind.Object || value.EnumerateObject().Any())
                    {
                        throw TranslationException.Unsupported("'logit_bias'", "logit_bias");
                    }

                    break;
                case "user":
                case "metadata":
                case "store":
                case "service_tier":
                case "safety_identifier":
                case "prompt_cache_key":
                case "prompt_cache_retention":
                case "verbosity":
                    break; // no effect on what the model produces: see the class remarks
                default:
                    // top_logprobs, seed, audio, prediction, web_search_options, functions, function_call, and unknown fields.
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
            IncludeUsage = stream && includeUsage,
            Reasoning = reasoning,
        };
    }

    private static void ReadMessages(JsonElement array, List<ContentPart> system, List<ChatMessage> messages)
    {
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw TranslationException.Invalid("'messages' must be an array.", "messages");
        }

        var i = 0;
        foreach (var message in array.EnumerateArray())
        {
            var at = $"messages[{i++}]";
            if (message.ValueKind != JsonValueKind.Object)
            {
                throw TranslationException.Invalid($"'{at}' must be an object.", at);
            }

            var role = message.ReqStr("role", at + ".role");
            switch (role)
            {
                case "system":
                case "developer":
                    system.AddRange(ReadContent(message, at, textOnly: true));
                    break;
                case "user":
                    messages.Add(new ChatMessage(ChatRole.User, ReadContent(message, at, textOnly: false)));
                    break;
                case "assistant":
                    messages.Add(ReadAssistant(message, at));
                    break;
                case "tool":
                    var callId = message.ReqStr("tool_call_id", at + ".tool_call_id");
                    messages.Add(new ChatMessage(ChatRole.Tool, [new ToolResultPart(callId, ReadContent(message, at, textOnly: true), false)]));
                    break;
                default:
                    throw TranslationException.Unsupported($"Messages with role '{role}'", at + ".role");
            }
        }
    }

    private static ChatMessage ReadAssistant(JsonElement message, string at)
    {
        message.RefuseIfPresent("audio", "Assistant audio");
        message.RefuseIfPresent("function_call", "The legacy 'function_call'");
        List<ContentPart> parts = [];
        var reasoning = message.Str("reasoning_content", at + ".reasoning_content") ?? message.Str("reasoning", at + ".reasoning");
        if (!string.IsNullOrEmpty(reasoning))
        {
            parts.Add(new ThinkingPart(reasoning, null));
        }

        if (message.Has("content", out _))
        {
            parts.AddRange(ReadContent(message, at, textOnly: true));
        }

        if (message.Str("refusal", at + ".refusal") is { Length: > 0 } refusal)
        {
            parts.Add(new TextPart(refusal));
        }

        var j = 0;
        foreach (var call in message.Array("tool_calls"))
        {
            var callAt = $"{at}.tool_calls[{j++}]";
            if (call.Str("type", callAt + ".type") is { } type && type != "function")
            {
                throw TranslationException.Unsupported($"Tool calls of type '{type}'", callAt + ".type");
            }

            if (!call.Has("function", out var function) || function.ValueKind != JsonValueKind.Object)
            {
                throw TranslationException.Invalid($"'{callAt}.function' is required.", callAt + ".function");
            }

            parts.Add(new ToolCallPart(
                call.ReqStr("id", callAt + ".id"),
                function.ReqStr("name", callAt + ".function.name"),
                function.Str("arguments", callAt + ".function.arguments") ?? string.Empty));
        }

        return new ChatMessage(ChatRole.Assistant, parts);
    }

    /// <summary>A message's <c>content</c>: a string, or an array of text (and, for user messages, image) parts.</summary>
    private static List<ContentPart> ReadContent(JsonElement message, string at, bool textOnly)
    {
        if (!message.Has("content", out var content))
        {
            return [];
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return [new TextPart(content.GetString()!)];
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw TranslationException.Invalid($"'{at}.content' must be a string or an array.", at + ".content");
        }

        List<ContentPart> parts = [];
        var k = 0;
        foreach (var part in content.EnumerateArray())
        {
            var partAt = $"{at}.content[{k++}]";
            var type = part.ReqStr("type", partAt + ".type");
            switch (type)
            {
                case "text":
                    parts.Add(new TextPart(part.ReqStr("text", partAt + ".text")));
                    break;
                case "refusal":
                    parts.Add(new TextPart(part.ReqStr("refusal", partAt + ".refusal")));
                    break;
                case "image_url" when !textOnly:
                    if (!part.Has("image_url", out var image) || image.ValueKind != JsonValueKind.Object)
                    {
                        throw TranslationException.Invalid($"'{partAt}.image_url' must be an object.", partAt + ".image_url");
                    }

                    var url = image.ReqStr("url", partAt + ".image_url.url");
                    parts.Add(WireJson.ParseDataUrl(url, partAt + ".image_url.url") is { } data
                        ? new ImagePart(data.MediaType, data.Base64, null)
                        : new ImagePart(null, null, url));
                    break;
                default:
                    throw TranslationException.Unsupported($"Content parts of type '{type}' here", partAt + ".type");
            }
        }

        return parts;
    }

    private static ToolDefinition ReadTool(JsonElement tool)
    {
        var type = tool.Str("type", "tools[].type");
        if (type != "function")
        {
            throw TranslationException.Unsupported($"Tools of type '{type}'", "tools");
        }

        if (!tool.Has("function", out var function) || function.ValueKind != JsonValueKind.Object)
        {
            throw TranslationException.Invalid("'tools[].function' is required.", "tools");
        }

        var schema = function.Has("parameters", out var parameters) ? parameters : WireJson.EmptyObjectSchema;
        return new ToolDefinition(function.ReqStr("name", "tools[].function.name"), function.Str("description", "tools[].function.description"), schema);
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

        if (value.ValueKind == JsonValueKind.Object && value.Str("type", "tool_choice.type") == "function"
            && value.Has("function", out var function) && function.ValueKind == JsonValueKind.Object)
        {
            return new ToolChoice(ToolChoiceKind.Tool, function.ReqStr("name", "tool_choice.function.name"));
        }

        throw TranslationException.Unsupported("This 'tool_choice'", "tool_choice");
    }

    private static void ReadStop(JsonElement value, List<string> stop)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            stop.Add(value.GetString()!);
            return;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw TranslationException.Invalid("'stop' must be a string or an array of strings.", "stop");
        }

        foreach (var item in value.EnumerateArray())
        {
            stop.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw TranslationException.Invalid("'stop' must be a string or an array of strings.", "stop"));
        }
    }
}
