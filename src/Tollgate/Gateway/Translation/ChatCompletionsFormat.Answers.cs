using System.Text;
using System.Text.Json;
using Tollgate.Catalog;

namespace Tollgate.Gateway.Translation;

/// <summary>Chat Completions answers: the <c>chat.completion</c> object both ways, and stream factories.</summary>
internal sealed partial class ChatCompletionsFormat
{
    /// <inheritdoc />
    public byte[] WriteResponse(ChatResult result, string clientModel) =>
        WireJson.Write((result, clientModel, time.GetUtcNow().ToUnixTimeSeconds()), static (json, s) => WriteCompletion(json, s.result, s.clientModel, s.Item3));

    private static void WriteCompletion(Utf8JsonWriter json, ChatResult result, string clientModel, long created)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, WireJson.ClientId("chatcmpl-", result.Id));
        json.WriteString("object"u8, "chat.completion"u8);
        json.WriteNumber("created"u8, created);
        json.WriteString("model"u8, clientModel);
        json.WriteStartArray("choices"u8);
        json.WriteStartObject();
        json.WriteNumber("index"u8, 0);
        json.WriteStartObject("message"u8);
        json.WriteString("role"u8, "assistant"u8);
        StringBuilder? text = null, thinking = null;
        var calls = 0;
        var images = 0;
        foreach (var part in result.Output)
        {
            switch (part)
            {
                case TextPart t:
                    (text ??= new StringBuilder()).Append(t.Text);
                    break;
                case ThinkingPart r:
                    (thinking ??= new StringBuilder()).Append(r.Text);
                    break;
                case ToolCallPart:
                    calls++;
                    break;
                case ImagePart:
                    images++;
                    break;
            }
        }

        if (text is null)
        {
            json.WriteNull("content"u8);
        }
        else
        {
            json.WriteString("content"u8, text.ToString());
        }

        json.WriteNull("refusal"u8);
        if (thinking is not null)
        {
            // Not in OpenAI's schema: the field OpenAI-compatible reasoning providers use; SDKs ignore it.
            json.WriteString("reasoning_content"u8, thinking.ToString());
        }

        if (images > 0)
        {
            // Not in OpenAI's schema: images the model made, as data URLs in "images", the shape gateways
            // serving image models through chat use; SDKs keep it in the raw answer.
            json.WriteStartArray("images"u8);
            foreach (var part in result.Output)
            {
                if (part is ImagePart image)
                {
                    WriteImage(json, image.MediaType, image.Base64Data);
                }
            }

            json.WriteEndArray();
        }

        if (calls > 0)
        {
            json.WriteStartArray("tool_calls"u8);
            foreach (var part in result.Output)
            {
                if (part is ToolCallPart call)
                {
                    json.WriteStartObject();
                    json.WriteString("id"u8, call.CallId);
                    json.WriteString("type"u8, "function"u8);
                    json.WriteStartObject("function"u8);
                    json.WriteString("name"u8, call.Name);
                    json.WriteString("arguments"u8, call.ArgumentsJson);
                    json.WriteEndObject();
                    json.WriteEndObject();
                }
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
        json.WriteNull("logprobs"u8);
        json.WriteString("finish_reason"u8, FinishReason(result.StopReason));
        json.WriteEndObject();
        json.WriteEndArray();
        if (result.Usage is { } usage)
        {
            WriteUsage(json, usage);
        }

        json.WriteEndObject();
    }

    /// <summary>One entry of <c>images</c>: <c>{"type":"image_url","image_url":{"url":"data:{type};base64,{data}"}}</c>.</summary>
    internal static void WriteImage(Utf8JsonWriter json, string? mediaType, string? base64)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, "image_url"u8);
        json.WriteStartObject("image_url"u8);
        json.WriteString("url"u8, $"data:{mediaType ?? "image/png"};base64,{base64}");
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>
    /// Chat usage from the internal one: the prompt includes cached and cache-write input, the
    /// completion includes reasoning (OpenAI counts both inside the totals).
    /// </summary>
    internal static void WriteUsage(Utf8JsonWriter json, TokenUsage usage)
    {
        json.WriteStartObject("usage"u8);
        json.WriteNumber("prompt_tokens"u8, usage.PromptTokens);
        json.WriteNumber("completion_tokens"u8, usage.BilledOutputTokens);
        json.WriteNumber("total_tokens"u8, usage.PromptTokens + usage.BilledOutputTokens);
        json.WriteStartObject("prompt_tokens_details"u8);
        json.WriteNumber("cached_tokens"u8, usage.CachedInputTokens);
        json.WriteEndObject();
        json.WriteStartObject("completion_tokens_details"u8);
        json.WriteNumber("reasoning_tokens"u8, usage.ReasoningTokens);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>The internal usage from a Chat <c>usage</c> object (cached and reasoning split out).</summary>
    internal static TokenUsage ReadUsage(JsonElement usage)
    {
        var prompt = usage.Count("prompt_tokens");
        var completion = usage.Count("completion_tokens");
        var cached = usage.TryGetProperty("prompt_tokens_details", out var pd) ? Math.Min(pd.Count("cached_tokens"), prompt) : 0;
        var reasoning = usage.TryGetProperty("completion_tokens_details", out var cd) ? Math.Min(cd.Count("reasoning_tokens"), completion) : 0;
        return new TokenUsage(prompt - cached, cached, 0, completion - reasoning, reasoning);
    }

    /// <summary>The internal stop reason of a <c>finish_reason</c>.</summary>
    internal static StopReason ReadFinishReason(string? reason) => reason switch
    {
        "length" => StopReason.MaxTokens,
        "tool_calls" or "function_call" => StopReason.ToolUse,
        "content_filter" => StopReason.ContentFilter,
        _ => StopReason.EndTurn,
    };

    /// <summary>The <c>finish_reason</c> of an internal stop reason (a stop sequence is <c>stop</c>).</summary>
    internal static string FinishReason(StopReason reason) => reason switch
    {
        StopReason.MaxTokens => "length",
        StopReason.ToolUse => "tool_calls",
        StopReason.ContentFilter => "content_filter",
        _ => "stop",
    };

    /// <inheritdoc />
    public ChatResult ReadResponse(ReadOnlySpan<byte> json)
    {
        var root = WireJson.Parse(json);
        var id = root.Str("id") ?? "chatcmpl-0";
        List<ContentPart> output = [];
        string? finish = null;
        if (root.Has("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
        {
            var choice = choices[0];
            finish = choice.Str("finish_reason");
            if (choice.Has("message", out var message))
            {
                var reasoning = message.Str("reasoning_content") ?? message.Str("reasoning");
                if (!string.IsNullOrEmpty(reasoning))
                {
                    output.Add(new ThinkingPart(reasoning, null));
                }

                if (message.Str("content") is { Length: > 0 } content)
                {
                    output.Add(new TextPart(content));
                }

                if (message.Str("refusal") is { Length: > 0 } refusal)
                {
                    output.Add(new TextPart(refusal));
                    finish ??= "content_filter";
                }

                foreach (var call in message.Array("tool_calls"))
                {
                    if (call.Has("function", out var function))
                    {
                        output.Add(new ToolCallPart(call.Str("id") ?? string.Empty, function.Str("name") ?? string.Empty, function.Str("arguments") ?? string.Empty));
                    }
                }
            }
        }

        return new ChatResult
        {
            Id = id,
            Output = output,
            StopReason = ReadFinishReason(finish),
            Usage = root.Has("usage", out var usage) && usage.ValueKind == JsonValueKind.Object ? ReadUsage(usage) : null,
        };
    }

    /// <inheritdoc />
    public IStreamEncoder CreateEncoder(string clientModel, ChatTurn request) =>
        new ChatCompletionsStreamEncoder(clientModel, request.IncludeUsage, time.GetUtcNow().ToUnixTimeSeconds());

    /// <inheritdoc />
    public IStreamDecoder CreateDecoder() => new ChatCompletionsStreamDecoder();
}
