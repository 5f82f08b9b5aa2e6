using System.Text.Json;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Translation;

namespace Tollgate.Providers.Bedrock;

/// <summary>
/// AWS Bedrock Converse as a provider-side chat format: the request body of <c>Converse</c> and
/// <c>ConverseStream</c> (the model id travels in the URL, not the body) written from
/// <see cref="ChatTurn"/>, the answer read back (<see cref="ReadResponse"/>), and the event stream read
/// by <see cref="BedrockConverseStreamDecoder"/>.
/// </summary>
/// <remarks>
/// Field by field: system → <c>system[].text</c>; messages → <c>messages[].content[]</c> blocks
/// <c>text</c>, <c>image</c> (<c>format</c> + <c>source.bytes</c> base64), <c>toolUse</c>,
/// <c>toolResult</c> (<c>status: error</c> for a failed tool), <c>reasoningContent.reasoningText</c>
/// (only with an Anthropic signature); output limit, temperature, top_p, stop → <c>inferenceConfig</c>;
/// tools → <c>toolConfig.tools[].toolSpec</c> with <c>inputSchema.json</c>, tool choice →
/// <c>toolConfig.toolChoice</c> (<c>auto</c>, <c>any</c>, <c>tool</c>); a thinking budget or an effort →
/// <c>additionalModelRequestFields.thinking</c> (and <c>output_config.effort</c>: the Claude models' own fields). Refused with a 400:
/// images by URL (Converse takes bytes or S3 locations only), <c>parallel_tool_calls: false</c> and
/// <c>tool_choice: none</c> with tool calls in the conversation (Converse has neither).
/// </remarks>
internal sealed partial class BedrockConverseFormat : IProviderWireFormat
{
    /// <inheritdoc />
    public (byte[]? Body, GatewayError? Error) WriteRequest(ChatTurn turn, string providerModel, long? maxOutputTokens)
    {
        try
        {
            return (WireJson.Write((turn, providerModel, maxOutputTokens), static (json, s) => WriteTurn(json, s.turn, s.providerModel, s.maxOutputTokens)), null);
        }
        catch (TranslationException e)
        {
            return (null, e.Error);
        }
    }

    private static void WriteTurn(Utf8JsonWriter json, ChatTurn turn, string providerModel, long? maxOutputTokens)
    {
        var max = maxOutputTokens ?? turn.MaxOutputTokens;
        // As with Anthropic (whose models Bedrock serves): an effort is adaptive thinking at that effort,
        // the only form current Claude models take; a client's token budget stays a budget, below the limit.
        var (adaptiveEffort, budget) = ReasoningMap.ClaudeThinking(turn.Reasoning, providerModel, max);

        if (turn.ParallelToolCalls is false && turn.Tools.Count > 0)
        {
            throw TranslationException.Unsupported("'parallel_tool_calls: false'", "parallel_tool_calls");
        }

        json.WriteStartObject();
        WriteMessages(json, turn.Messages);
        if (turn.System.Count > 0)
        {
            json.WriteStartArray("system"u8);
            foreach (var part in turn.System)
            {
                var text = part is TextPart t ? t.Text : throw TranslationException.Unsupported("System content other than text", "system");
                if (text.Length > 0)
                {
                    json.WriteStartObject();
                    json.WriteString("text"u8, text);
                    json.WriteEndObject();
                }
            }

            json.WriteEndArray();
        }

        json.WriteStartObject("inferenceConfig"u8);
        if (max is { } limit)
        {
            json.WriteNumber("maxTokens"u8, limit);
        }

        WireJson.WriteSampling(json, turn, "topP"u8, "stopSequences"u8);

        json.WriteEndObject();
        WriteToolConfig(json, turn);
        if (budget is { } thinkingBudget)
        {
            json.WriteStartObject("additionalModelRequestFields"u8);
            json.WriteStartObject("thinking"u8);
            json.WriteString("type"u8, "enabled"u8);
            json.WriteNumber("budget_tokens"u8, thinkingBudget);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        else if (adaptiveEffort is not null)
        {
            json.WriteStartObject("additionalModelRequestFields"u8);
            json.WriteStartObject("thinking"u8);
            json.WriteString("type"u8, "adaptive"u8);
            json.WriteEndObject();
            json.WriteStartObject("output_config"u8);
            json.WriteString("effort"u8, adaptiveEffort);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void WriteToolConfig(Utf8JsonWriter json, ChatTurn turn)
    {
        if (turn.Tools.Count == 0)
        {
            return;
        }

        if (turn.ToolChoice is { Kind: ToolChoiceKind.None })
        {
            // Converse has no "none": leaving the tools out says the same, unless earlier turns used
            // them (Converse then requires the tool configuration).
            if (turn.Messages.Any(m => m.Parts.Any(p => p is ToolCallPart or ToolResultPart)))
            {
                throw TranslationException.Unsupported("'tool_choice: none' with tool calls in the conversation", "tool_choice");
            }

            return;
        }

        json.WriteStartObject("toolConfig"u8);
        json.WriteStartArray("tools"u8);
        foreach (var tool in turn.Tools)
        {
            json.WriteStartObject();
            json.WriteStartObject("toolSpec"u8);
            json.WriteString("name"u8, tool.Name);
            if (!string.IsNullOrEmpty(tool.Description))
            {
                json.WriteString("description"u8, tool.Description);
            }

            json.WriteStartObject("inputSchema"u8);
            json.WritePropertyName("json"u8);
            tool.ParametersSchema.WriteTo(json);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (turn.ToolChoice is { } choice)
        {
            json.WriteStartObject("toolChoice"u8);
            switch (choice.Kind)
            {
                case ToolChoiceKind.Required:
                    json.WriteStartObject("any"u8);
                    json.WriteEndObject();
                    break;
                case ToolChoiceKind.Tool:
                    json.WriteStartObject("tool"u8);
                    json.WriteString("name"u8, choice.Name);
                    json.WriteEndObject();
                    break;
                default:
                    json.WriteStartObject("auto"u8);
                    json.WriteEndObject();
                    break;
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    /// <summary>
    /// Converse messages alternate user and assistant: tool results and user content that follow each
    /// other share one user message; a message left with nothing to send is left out.
    /// </summary>
    private static void WriteMessages(Utf8JsonWriter json, List<ChatMessage> messages)
    {
        json.WriteStartArray("messages"u8);
        string? side = null;
        foreach (var message in messages)
        {
            if (!message.Parts.Any(IsSendable))
            {
                continue;
            }

            var role = message.Role == ChatRole.Assistant ? "assistant" : "user";
            if (role != side)
            {
                if (side is not null)
                {
                    json.WriteEndArray();
                    json.WriteEndObject();
                }

                side = role;
                json.WriteStartObject();
                json.WriteString("role"u8, role);
                json.WriteStartArray("content"u8);
            }

            foreach (var part in message.Parts)
            {
                if (IsSendable(part))
                {
                    WritePart(json, part);
                }
            }
        }

        if (side is not null)
        {
            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static bool IsSendable(ContentPart part) => part switch
    {
        TextPart t => t.Text.Length > 0, // Converse refuses blank text blocks
        ThinkingPart th => ReasoningMap.AnthropicSignature(th.Signature) is not null,
        _ => true,
    };

    private static void WritePart(Utf8JsonWriter json, ContentPart part)
    {
        json.WriteStartObject();
        switch (part)
        {
            case TextPart text:
                json.WriteString("text"u8, text.Text);
                break;
            case ImagePart image:
                WriteImage(json, image, "messages");
                break;
            case ThinkingPart thinking:
                json.WriteStartObject("reasoningContent"u8);
                json.WriteStartObject("reasoningText"u8);
                json.WriteString("text"u8, thinking.Text);
                json.WriteString("signature"u8, ReasoningMap.AnthropicSignature(thinking.Signature));
                json.WriteEndObject();
                json.WriteEndObject();
                break;
            case ToolCallPart call:
                json.WriteStartObject("toolUse"u8);
                json.WriteString("toolUseId"u8, call.CallId);
                json.WriteString("name"u8, call.Name);
                json.WritePropertyName("input"u8);
                WireJson.WriteRawObject(json, call.ArgumentsJson, "messages");
                json.WriteEndObject();
                break;
            case ToolResultPart result:
                json.WriteStartObject("toolResult"u8);
                json.WriteString("toolUseId"u8, result.CallId);
                json.WriteStartArray("content"u8);
                foreach (var item in result.Content)
                {
                    if (item is ImagePart img)
                    {
                        json.WriteStartObject();
                        WriteImage(json, img, "messages");
                        json.WriteEndObject();
                    }
                    else if (item is TextPart { Text.Length: > 0 } t)
                    {
                        json.WriteStartObject();
                        json.WriteString("text"u8, t.Text);
                        json.WriteEndObject();
                    }
                }

                json.WriteEndArray();
                if (result.IsError)
                {
                    json.WriteString("status"u8, "error"u8);
                }

                json.WriteEndObject();
                break;
        }

        json.WriteEndObject();
    }

    private static void WriteImage(Utf8JsonWriter json, ImagePart image, string param)
    {
        if (image.Base64Data is null || image.Url is not null)
        {
            throw TranslationException.Unsupported("Images by URL (Bedrock takes image bytes; send a data URL)", param);
        }

        json.WriteStartObject("image"u8);
        json.WriteString("format"u8, ImageFormat(image.MediaType, param));
        json.WriteStartObject("source"u8);
        json.WriteString("bytes"u8, image.Base64Data);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static string ImageFormat(string? mediaType, string param) => mediaType?.ToLowerInvariant() switch
    {
        "image/png" => "png",
        "image/jpeg" or "image/jpg" => "jpeg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        _ => throw TranslationException.Unsupported($"Images of type '{mediaType}' (Bedrock takes png, jpeg, gif and webp)", param),
    };
}
