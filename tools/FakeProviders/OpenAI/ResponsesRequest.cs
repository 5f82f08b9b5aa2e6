using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Tollgate.FakeProviders.OpenAI;

/// <summary>What the fake needs from a Responses API request body.</summary>
internal sealed class ResponsesRequest
{
    private ResponsesRequest(string model)
    {
        Model = model;
    }

    /// <summary>The <c>model</c>, echoed in the answer.</summary>
    public string Model { get; }

    /// <summary>Whether <c>"stream": true</c>.</summary>
    public bool Stream { get; private set; }

    /// <summary><c>store</c>; true unless the request says false, as the API's default.</summary>
    public bool Store { get; private set; } = true;

    /// <summary><c>max_output_tokens</c>, or null.</summary>
    public int? MaxOutputTokens { get; private set; }

    /// <summary><c>instructions</c>, echoed in the answer.</summary>
    public string? Instructions { get; private set; }

    /// <summary><c>previous_response_id</c>: accepted whatever it names, and echoed.</summary>
    public string? PreviousResponseId { get; private set; }

    /// <summary>Whether <c>reasoning</c> asks for reasoning (an object whose <c>effort</c> is not <c>none</c>).</summary>
    public bool Reasoning { get; private set; }

    /// <summary>Whether <c>include</c> asks for <c>reasoning.encrypted_content</c>.</summary>
    public bool EncryptedReasoning { get; private set; }

    /// <summary><c>reasoning.effort</c>, echoed.</summary>
    public string? ReasoningEffort { get; private set; }

    /// <summary><c>reasoning.summary</c>, echoed.</summary>
    public string? ReasoningSummary { get; private set; }

    /// <summary>
    /// max(1, ceil(UTF-8 bytes / 4)) of <c>instructions</c> and of the input: a string, or per item the
    /// message content (a string, or the <c>text</c> of each part) and <c>function_call_output</c> outputs.
    /// </summary>
    public int PromptTokens { get; private set; }

    /// <summary>The function to call, when the answer is a function call.</summary>
    public string? ToolName { get; private set; }

    /// <summary>The arguments of that call as JSON text.</summary>
    public string? ToolArguments { get; private set; }

    /// <summary>The request's <c>tools</c> as JSON text (<c>[]</c> when absent), echoed.</summary>
    public string ToolsJson { get; private set; } = "[]";

    /// <summary>The request's <c>tool_choice</c> as JSON text (<c>"auto"</c> when absent), echoed.</summary>
    public string ToolChoiceJson { get; private set; } = "\"auto\"";

    /// <summary>The request's <c>metadata</c> as JSON text (<c>{}</c> when absent), echoed.</summary>
    public string MetadataJson { get; private set; } = "{}";

    /// <summary><c>temperature</c> as JSON text (<c>1.0</c> when absent), echoed.</summary>
    public string TemperatureJson { get; private set; } = "1.0";

    /// <summary><c>top_p</c> as JSON text (<c>1.0</c> when absent), echoed.</summary>
    public string TopPJson { get; private set; } = "1.0";

    /// <summary><c>parallel_tool_calls</c> (true when absent), echoed.</summary>
    public bool ParallelToolCalls { get; private set; } = true;

    /// <summary>
    /// Parses <paramref name="body"/>. Directives in the last user message are applied to
    /// <paramref name="knobs"/>. A bad request comes back as an error value.
    /// </summary>
    public static ResponsesRequest? Parse(byte[] body, ref FakeKnobs knobs, out OpenAIError? error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            error = OpenAIError.InvalidJson;
            return null;
        }

        using (document)
        {
            return Parse(document.RootElement, ref knobs, out error);
        }
    }

    private static ResponsesRequest? Parse(JsonElement root, ref FakeKnobs knobs, out OpenAIError? error)
    {
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = OpenAIError.BadRequest("Invalid request body: expected a JSON object.", param: null, code: null);
            return null;
        }

        if (!root.TryGetProperty("model"u8, out var model) || model.ValueKind != JsonValueKind.String)
        {
            error = OpenAIError.BadRequest("Missing required parameter: 'model'.", "model", "missing_required_parameter");
            return null;
        }

        var request = new ResponsesRequest(model.GetString()!)
        {
            Stream = root.TryGetProperty("stream"u8, out var stream) && stream.ValueKind == JsonValueKind.True,
            Store = !(root.TryGetProperty("store"u8, out var store) && store.ValueKind == JsonValueKind.False),
            Instructions = StringOrNull(root, "instructions"u8),
            PreviousResponseId = StringOrNull(root, "previous_response_id"u8),
            ParallelToolCalls = !(root.TryGetProperty("parallel_tool_calls"u8, out var parallel) && parallel.ValueKind == JsonValueKind.False),
        };

        if (root.TryGetProperty("max_output_tokens"u8, out var limit) && limit.ValueKind != JsonValueKind.Null)
        {
            if (!limit.TryGetInt32(out var value) || value < 1)
            {
                error = OpenAIError.BadRequest(
                    $"Invalid 'max_output_tokens': expected an integer >= 1, but got {limit.GetRawText()} instead.", "max_output_tokens", "integer_below_min_value");
                return null;
            }

            request.MaxOutputTokens = value;
        }

        if (root.TryGetProperty("reasoning"u8, out var reasoning) && reasoning.ValueKind == JsonValueKind.Object)
        {
            request.ReasoningEffort = StringOrNull(reasoning, "effort"u8);
            request.ReasoningSummary = StringOrNull(reasoning, "summary"u8);
            request.Reasoning = request.ReasoningEffort != "none";
        }

        if (root.TryGetProperty("include"u8, out var include) && include.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in include.EnumerateArray())
            {
                request.EncryptedReasoning |= item.ValueEquals("reasoning.encrypted_content"u8);
            }
        }

        request.ToolsJson = RawOr(root, "tools"u8, request.ToolsJson);
        request.ToolChoiceJson = RawOr(root, "tool_choice"u8, request.ToolChoiceJson);
        request.MetadataJson = RawOr(root, "metadata"u8, request.MetadataJson);
        request.TemperatureJson = RawOr(root, "temperature"u8, request.TemperatureJson);
        request.TopPJson = RawOr(root, "top_p"u8, request.TopPJson);

        long textBytes = request.Instructions is { } instructions ? Encoding.UTF8.GetByteCount(instructions) : 0;
        var answersToolOutput = false;
        if (root.TryGetProperty("input"u8, out var input))
        {
            switch (input.ValueKind)
            {
                case JsonValueKind.String:
                    textBytes += Encoding.UTF8.GetByteCount(input.GetString()!);
                    knobs.ApplyDirectives(input.GetString());
                    break;
                case JsonValueKind.Array:
                    JsonElement lastUser = default;
                    JsonElement last = default;
                    foreach (var item in input.EnumerateArray())
                    {
                        if (item.ValueKind != JsonValueKind.Object)
                        {
                            error = OpenAIError.BadRequest("Invalid type for 'input': expected an array of objects.", "input", "invalid_type");
                            return null;
                        }

                        last = item;
                        if (item.TryGetProperty("content"u8, out var content))
                        {
                            textBytes += TextBytes(content);
                            if (item.TryGetProperty("role"u8, out var role) && role.ValueEquals("user"u8))
                            {
                                lastUser = content;
                            }
                        }
                        else if (item.TryGetProperty("output"u8, out var output))
                        {
                            textBytes += TextBytes(output);
                        }
                    }

                    answersToolOutput = last.ValueKind == JsonValueKind.Object
                        && last.TryGetProperty("type"u8, out var lastType) && lastType.ValueEquals("function_call_output"u8);
                    ApplyDirectives(lastUser, ref knobs);
                    break;
                case JsonValueKind.Null:
                    break;
                default:
                    error = OpenAIError.BadRequest("Invalid type for 'input': expected a string or an array of input items.", "input", "invalid_type");
                    return null;
            }
        }

        request.PromptTokens = FakeExchange.TokensOfBytes(textBytes);
        if (!answersToolOutput && ChooseFunction(root, knobs.ToolCall, knobs.ToolName) is { } tool)
        {
            request.ToolName = tool.GetProperty("name"u8).GetString();
            request.ToolArguments = FakeProviders.ToolArguments.For(tool.TryGetProperty("parameters"u8, out var schema) ? schema : default);
        }

        return request;
    }

    /// <summary>
    /// The function to call: the one <c>tool_choice</c> names, else the one the <c>tool_name</c> knob names
    /// (when offered), else the first function tool when <c>tool_choice</c> is <c>required</c> or the
    /// <c>tool_call</c> knob asks; none for <c>none</c> or without function tools.
    /// </summary>
    private static JsonElement? ChooseFunction(JsonElement root, bool knob, string? knobName)
    {
        if (!root.TryGetProperty("tools"u8, out var tools) || tools.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        string? wanted = null;
        var choice = "auto";
        if (root.TryGetProperty("tool_choice"u8, out var toolChoice))
        {
            if (toolChoice.ValueKind == JsonValueKind.String)
            {
                choice = toolChoice.GetString();
            }
            else if (toolChoice.ValueKind == JsonValueKind.Object && toolChoice.TryGetProperty("type"u8, out var type) && type.ValueEquals("function"u8))
            {
                choice = "required";
                wanted = StringOrNull(toolChoice, "name"u8);
            }
        }

        // tool_choice's function wins over the knob's; a name alone (tool_name) also asks for a call.
        var named = wanted ?? knobName;
        if (choice == "none" || (choice != "required" && !knob && knobName is null))
        {
            return null;
        }

        JsonElement? first = null;
        foreach (var tool in tools.EnumerateArray())
        {
            if (tool.ValueKind == JsonValueKind.Object
                && tool.TryGetProperty("type"u8, out var type) && type.ValueEquals("function"u8)
                && tool.TryGetProperty("name"u8, out var name) && name.ValueKind == JsonValueKind.String)
            {
                if (named is not null && name.ValueEquals(named))
                {
                    return tool;
                }

                first ??= tool;
            }
        }

        // The named function is not offered: a required choice or the tool_call knob still calls the first.
        return choice == "required" || knob ? first : null;
    }

    private static void ApplyDirectives(JsonElement content, ref FakeKnobs knobs)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            knobs.ApplyDirectives(content.GetString());
        }
        else if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in content.EnumerateArray())
            {
                if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String)
                {
                    knobs.ApplyDirectives(text.GetString());
                }
            }
        }
    }

    /// <summary>UTF-8 bytes of a content or output: a string, or the <c>text</c> of each part.</summary>
    private static long TextBytes(JsonElement content)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return Encoding.UTF8.GetByteCount(content.GetString()!);
            case JsonValueKind.Array:
                long total = 0;
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text"u8, out var text) && text.ValueKind == JsonValueKind.String)
                    {
                        total += Encoding.UTF8.GetByteCount(text.GetString()!);
                    }
                }

                return total;
            default:
                return 0;
        }
    }

    private static string? StringOrNull(JsonElement element, ReadOnlySpan<byte> name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>
    /// The property as compact JSON text: re-written, not the raw text, because a request's line breaks
    /// would split the one <c>data:</c> line of a streamed event.
    /// </summary>
    private static string RawOr(JsonElement element, ReadOnlySpan<byte> name, string fallback)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return fallback;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, OpenAIError.WriterOptions))
        {
            value.WriteTo(json);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
