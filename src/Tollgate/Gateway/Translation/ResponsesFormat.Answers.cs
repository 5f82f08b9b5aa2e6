using System.Text;
using System.Text.Json;
using Tollgate.Catalog;

namespace Tollgate.Gateway.Translation;

/// <summary>One output item of a Responses answer, as the writers build it.</summary>
internal sealed class ResponsesItem
{
    /// <summary>What kind of item.</summary>
    public enum ItemKind
    {
        /// <summary>An assistant <c>message</c> with one <c>output_text</c> part.</summary>
        Message,

        /// <summary>A <c>function_call</c>.</summary>
        FunctionCall,

        /// <summary>A <c>reasoning</c> item with one summary text.</summary>
        Reasoning,

        /// <summary>An <c>image_generation_call</c> item: an image the model made, its base64 in <c>result</c>.</summary>
        ImageGeneration,
    }

    /// <summary>The item's kind.</summary>
    public required ItemKind Kind { get; init; }

    /// <summary>The item id (<c>msg_</c>, <c>fc_</c>, <c>rs_</c>).</summary>
    public required string Id { get; init; }

    /// <summary>The message text, the function arguments, the reasoning summary (as it grows), or an image's base64.</summary>
    public StringBuilder Text { get; } = new();

    /// <summary>The function call's id.</summary>
    public string? CallId { get; init; }

    /// <summary>The function's name.</summary>
    public string? Name { get; init; }

    /// <summary>The reasoning's encrypted content.</summary>
    public string? Encrypted { get; set; }

    /// <summary>The item is finished.</summary>
    public bool Done { get; set; }

    /// <summary>Writes the item (in progress or done) as the API shows it.</summary>
    public void Write(Utf8JsonWriter json, bool incomplete = false)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, Id);
        switch (Kind)
        {
            case ItemKind.FunctionCall:
                json.WriteString("type"u8, "function_call"u8);
                json.WriteString("status"u8, Done ? "completed"u8 : "in_progress"u8);
                json.WriteString("arguments"u8, Done ? Text.ToString() : string.Empty);
                json.WriteString("call_id"u8, CallId);
                json.WriteString("name"u8, Name);
                break;
            case ItemKind.ImageGeneration:
                json.WriteString("type"u8, "image_generation_call"u8);
                json.WriteString("status"u8, Done ? "completed"u8 : "in_progress"u8);
                if (Done)
                {
                    json.WriteString("result"u8, Text.ToString());
                }
                else
                {
                    json.WriteNull("result"u8);
                }

                break;
            case ItemKind.Reasoning:
                json.WriteString("type"u8, "reasoning"u8);
                json.WriteStartArray("summary"u8);
                if (Done && Text.Length > 0)
                {
                    json.WriteStartObject();
                    json.WriteString("type"u8, "summary_text"u8);
                    json.WriteString("text"u8, Text.ToString());
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                if (Done && Encrypted is not null)
                {
                    json.WriteString("encrypted_content"u8, Encrypted);
                }

                break;
            default:
                json.WriteString("type"u8, "message"u8);
                json.WriteString("status"u8, !Done ? "in_progress"u8 : incomplete ? "incomplete"u8 : "completed"u8);
                json.WriteStartArray("content"u8);
                if (Done)
                {
                    WriteTextPart(json, Text.ToString());
                }

                json.WriteEndArray();
                json.WriteString("role"u8, "assistant"u8);
                break;
        }

        json.WriteEndObject();
    }

    /// <summary>An <c>output_text</c> part.</summary>
    public static void WriteTextPart(Utf8JsonWriter json, string text)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, "output_text"u8);
        json.WriteStartArray("annotations"u8);
        json.WriteEndArray();
        json.WriteStartArray("logprobs"u8);
        json.WriteEndArray();
        json.WriteString("text"u8, text);
        json.WriteEndObject();
    }

    /// <summary>A reasoning item for thinking given to a Responses client (see <see cref="ReasoningMap"/>).</summary>
    public static ResponsesItem ForThinking(string? signature, string mintedId)
    {
        if (ReasoningMap.Unpack(signature) is { } packed)
        {
            return new ResponsesItem { Kind = ItemKind.Reasoning, Id = packed.Id, Encrypted = packed.Encrypted };
        }

        return new ResponsesItem { Kind = ItemKind.Reasoning, Id = mintedId, Encrypted = string.IsNullOrEmpty(signature) ? null : signature };
    }
}

/// <summary>Responses answers: the <c>response</c> object both ways, and stream factories.</summary>
internal sealed partial class ResponsesFormat
{
    /// <inheritdoc />
    public byte[] WriteResponse(ChatResult result, string clientModel)
    {
        var core = WireJson.ClientId(string.Empty, result.Id);
        List<ResponsesItem> items = [];
        foreach (var part in result.Output)
        {
            ResponsesItem item;
            switch (part)
            {
                case TextPart text:
                    item = new ResponsesItem { Kind = ResponsesItem.ItemKind.Message, Id = $"msg_{core}_{items.Count}" };
                    item.Text.Append(text.Text);
                    break;
                case ToolCallPart call:
                    item = new ResponsesItem { Kind = ResponsesItem.ItemKind.FunctionCall, Id = FunctionItemId(call.CallId), CallId = call.CallId, Name = call.Name };
                    item.Text.Append(call.ArgumentsJson);
                    break;
                case ThinkingPart thinking:
                    item = ResponsesItem.ForThinking(thinking.Signature, $"{ReasoningMap.MintedPrefix}{items.Count}_{core}");
                    item.Text.Append(thinking.Text);
                    break;
                case ImagePart { Base64Data: { } image }:
                    item = new ResponsesItem { Kind = ResponsesItem.ItemKind.ImageGeneration, Id = $"ig_{core}_{items.Count}" };
                    item.Text.Append(image);
                    break;
                default:
                    continue;
            }

            item.Done = true;
            items.Add(item);
        }

        var head = new ResponseHead(WireJson.ClientId("resp_", result.Id), clientModel, time.GetUtcNow().ToUnixTimeSeconds(), null);
        return WireJson.Write((head, items, result), static (json, s) => WriteResponseObject(json, s.head, s.items, s.result.StopReason, s.result.Usage, done: true));
    }

    /// <summary>The <c>fc_</c> item id of a function call, from its call id.</summary>
    internal static string FunctionItemId(string callId) =>
        "fc_" + (callId.StartsWith("call_", StringComparison.Ordinal) ? callId[5..] : callId);

    /// <summary>What the response object repeats of the request, and its identity.</summary>
    internal sealed record ResponseHead(string Id, string Model, long CreatedAt, ChatTurn? Request);

    /// <summary>
    /// The <c>response</c> object: in progress (no output, no usage), or done, <c>completed</c> or
    /// <c>incomplete</c> (with <c>incomplete_details.reason</c> <c>max_output_tokens</c> or
    /// <c>content_filter</c>) with its output items and usage.
    /// </summary>
    internal static void WriteResponseObject(Utf8JsonWriter json, ResponseHead head, List<ResponsesItem> items, StopReason reason, TokenUsage? usage, bool done)
    {
        var incompleteReason = !done ? null : reason switch
        {
            StopReason.MaxTokens => "max_output_tokens",
            StopReason.ContentFilter => "content_filter",
            _ => null,
        };
        var request = head.Request;
        json.WriteStartObject();
        json.WriteString("id"u8, head.Id);
        json.WriteString("object"u8, "response"u8);
        json.WriteNumber("created_at"u8, head.CreatedAt);
        json.WriteString("status"u8, !done ? "in_progress" : incompleteReason is null ? "completed" : "incomplete");
        json.WriteBoolean("background"u8, false);
        json.WriteNull("error"u8);
        if (incompleteReason is null)
        {
            json.WriteNull("incomplete_details"u8);
        }
        else
        {
            json.WriteStartObject("incomplete_details"u8);
            json.WriteString("reason"u8, incompleteReason);
            json.WriteEndObject();
        }

        json.WriteNull("instructions"u8);
        if (request?.MaxOutputTokens is { } max)
        {
            json.WriteNumber("max_output_tokens"u8, max);
        }
        else
        {
            json.WriteNull("max_output_tokens"u8);
        }

        json.WriteString("model"u8, head.Model);
        json.WriteStartArray("output"u8);
        if (done)
        {
            foreach (var item in items)
            {
                item.Write(json, incompleteReason is not null);
            }
        }

        json.WriteEndArray();
        json.WriteBoolean("parallel_tool_calls"u8, request?.ParallelToolCalls ?? true);
        json.WriteNull("previous_response_id"u8);
        json.WriteStartObject("reasoning"u8);
        if (request?.Reasoning is { } reasoning && ReasoningMap.Effort(reasoning) is { } effort)
        {
            json.WriteString("effort"u8, effort);
        }
        else
        {
            json.WriteNull("effort"u8);
        }

        json.WriteNull("summary"u8);
        json.WriteEndObject();
        json.WriteBoolean("store"u8, false);
        WriteNullableNumber(json, "temperature"u8, request?.Temperature);
        json.WriteStartObject("text"u8);
        json.WriteStartObject("format"u8);
        json.WriteString("type"u8, "text"u8);
        json.WriteEndObject();
        json.WriteEndObject();
        WriteToolChoice(json, request?.ToolChoice);
        json.WriteStartArray("tools"u8);
        foreach (var tool in request?.Tools ?? [])
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "function"u8);
            json.WriteString("name"u8, tool.Name);
            json.WriteString("description"u8, tool.Description);
            json.WritePropertyName("parameters"u8);
            tool.ParametersSchema.WriteTo(json);
            json.WriteBoolean("strict"u8, false);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        WriteNullableNumber(json, "top_p"u8, request?.TopP);
        json.WriteString("truncation"u8, "disabled"u8);
        if (done && usage is { } u)
        {
            WriteUsage(json, u);
        }
        else
        {
            json.WriteNull("usage"u8);
        }

        json.WriteStartObject("metadata"u8);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteToolChoice(Utf8JsonWriter json, ToolChoice? choice)
    {
        json.WritePropertyName("tool_choice"u8);
        switch (choice?.Kind)
        {
            case ToolChoiceKind.None:
                json.WriteStringValue("none"u8);
                break;
            case ToolChoiceKind.Required:
                json.WriteStringValue("required"u8);
                break;
            case ToolChoiceKind.Tool:
                json.WriteStartObject();
                json.WriteString("type"u8, "function"u8);
                json.WriteString("name"u8, choice.Name);
                json.WriteEndObject();
                break;
            default:
                json.WriteStringValue("auto"u8);
                break;
        }
    }

    private static void WriteNullableNumber(Utf8JsonWriter json, ReadOnlySpan<byte> name, double? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    /// <summary>
    /// Responses usage from the internal one: <c>input_tokens</c> includes cached and cache-write input,
    /// <c>output_tokens</c> includes reasoning (each with its detail inside).
    /// </summary>
    internal static void WriteUsage(Utf8JsonWriter json, TokenUsage usage)
    {
        json.WriteStartObject("usage"u8);
        json.WriteNumber("input_tokens"u8, usage.PromptTokens);
        json.WriteStartObject("input_tokens_details"u8);
        json.WriteNumber("cached_tokens"u8, usage.CachedInputTokens);
        json.WriteEndObject();
        json.WriteNumber("output_tokens"u8, usage.BilledOutputTokens);
        json.WriteStartObject("output_tokens_details"u8);
        json.WriteNumber("reasoning_tokens"u8, usage.ReasoningTokens);
        json.WriteEndObject();
        json.WriteNumber("total_tokens"u8, usage.PromptTokens + usage.BilledOutputTokens);
        json.WriteEndObject();
    }

    /// <summary>The internal usage of a Responses <c>usage</c> object (cached and reasoning split out).</summary>
    internal static TokenUsage ReadUsage(JsonElement usage)
    {
        var input = usage.Count("input_tokens");
        var output = usage.Count("output_tokens");
        var cached = usage.TryGetProperty("input_tokens_details", out var id) ? Math.Min(id.Count("cached_tokens"), input) : 0;
        var reasoning = usage.TryGetProperty("output_tokens_details", out var od) ? Math.Min(od.Count("reasoning_tokens"), output) : 0;
        return new TokenUsage(input - cached, cached, 0, output - reasoning, reasoning);
    }

    /// <summary>
    /// Reads a <c>response</c> object's output items, stop reason and usage. A completed response that
    /// called functions stopped for tool use; an incomplete one stopped at the limit or a filter.
    /// </summary>
    internal static ChatResult ReadResponseObject(JsonElement root)
    {
        List<ContentPart> output = [];
        var reason = StopReason.EndTurn;
        foreach (var item in root.Array("output"))
        {
            switch (item.Str("type"))
            {
                case "message":
                    foreach (var part in item.Array("content"))
                    {
                        if (part.Str("type") == "refusal")
                        {
                            output.Add(new TextPart(part.Str("refusal") ?? string.Empty));
                            reason = StopReason.ContentFilter;
                        }
                        else if (part.Str("text") is { } text)
                        {
                            output.Add(new TextPart(text));
                        }
                    }

                    break;
                case "function_call":
                    output.Add(new ToolCallPart(item.Str("call_id") ?? string.Empty, item.Str("name") ?? string.Empty, item.Str("arguments") ?? string.Empty));
                    if (reason == StopReason.EndTurn)
                    {
                        reason = StopReason.ToolUse;
                    }

                    break;
                case "reasoning":
                    var summary = new StringBuilder();
                    foreach (var s in item.Array("summary"))
                    {
                        summary.Append(summary.Length > 0 ? "\n\n" : string.Empty).Append(s.Str("text"));
                    }

                    var encrypted = item.Str("encrypted_content");
                    if (summary.Length > 0 || encrypted is not null)
                    {
                        output.Add(new ThinkingPart(summary.ToString(), ReasoningMap.Pack(item.Str("id") ?? "rs_0", encrypted)));
                    }

                    break;
                default:
                    break; // built-in tool items: the gateway never asks for them when it translates
            }
        }

        if (root.Str("status") == "incomplete")
        {
            var why = root.Has("incomplete_details", out var details) ? details.Str("reason") : null;
            reason = why == "content_filter" ? StopReason.ContentFilter : StopReason.MaxTokens;
        }

        return new ChatResult
        {
            Id = root.Str("id") ?? "resp_0",
            Output = output,
            StopReason = reason,
            Usage = root.Has("usage", out var usage) && usage.ValueKind == JsonValueKind.Object ? ReadUsage(usage) : null,
        };
    }

    /// <inheritdoc />
    public ChatResult ReadResponse(ReadOnlySpan<byte> json) => ReadResponseObject(WireJson.Parse(json));

    /// <inheritdoc />
    public IStreamEncoder CreateEncoder(string clientModel, ChatTurn request) =>
        new ResponsesStreamEncoder(clientModel, request, time.GetUtcNow().ToUnixTimeSeconds());

    /// <inheritdoc />
    public IStreamDecoder CreateDecoder() => new ResponsesStreamDecoder();
}
