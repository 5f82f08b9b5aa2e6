using System.Text.Json;
using Tollgate.Gateway.Errors;

namespace Tollgate.Gateway.Translation;

/// <summary>Chat Completions requests written for a provider.</summary>
internal sealed partial class ChatCompletionsFormat
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
        json.WriteStartObject();
        json.WriteString("model"u8, providerModel);
        json.WriteStartArray("messages"u8);
        if (turn.System.Count > 0)
        {
            json.WriteStartObject();
            json.WriteString("role"u8, "system"u8);
            json.WriteString("content"u8, WireJson.JoinText(turn.System, "\n\n", "system", "System content"));
            json.WriteEndObject();
        }

        foreach (var message in turn.Messages)
        {
            WriteMessage(json, message);
        }

        json.WriteEndArray();
        if (turn.Tools.Count > 0)
        {
            json.WriteStartArray("tools"u8);
            foreach (var tool in turn.Tools)
            {
                json.WriteStartObject();
                json.WriteString("type"u8, "function"u8);
                json.WriteStartObject("function"u8);
                json.WriteString("name"u8, tool.Name);
                if (tool.Description is not null)
                {
                    json.WriteString("description"u8, tool.Description);
                }

                json.WritePropertyName("parameters"u8);
                tool.ParametersSchema.WriteTo(json);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        if (turn.ToolChoice is { } choice)
        {
            json.WritePropertyName("tool_choice"u8);
            switch (choice.Kind)
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
                    json.WriteStartObject("function"u8);
                    json.WriteString("name"u8, choice.Name);
                    json.WriteEndObject();
                    json.WriteEndObject();
                    break;
                default:
                    json.WriteStringValue("auto"u8);
                    break;
            }
        }

        if (turn.ParallelToolCalls is { } parallel && turn.Tools.Count > 0)
        {
            json.WriteBoolean("parallel_tool_calls"u8, parallel);
        }

        if (maxOutputTokens is { } max)
        {
            json.WriteNumber("max_completion_tokens"u8, max);
        }

        WireJson.WriteSampling(json, turn, "top_p"u8, "stop"u8);

        if (turn.Reasoning is { } reasoning && ReasoningMap.Effort(reasoning) is { } effort)
        {
            json.WriteString("reasoning_effort"u8, effort);
        }

        if (turn.Stream)
        {
            json.WriteBoolean("stream"u8, true);
            // The gateway meters the stream, so it always asks for the usage chunk.
            json.WriteStartObject("stream_options"u8);
            json.WriteBoolean("include_usage"u8, true);
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void WriteMessage(Utf8JsonWriter json, ChatMessage message)
    {
        switch (message.Role)
        {
            case ChatRole.Tool:
                foreach (var part in message.Parts)
                {
                    if (part is not ToolResultPart result)
                    {
                        throw TranslationException.Invalid("A tool message holds only tool results.", "messages");
                    }

                    json.WriteStartObject();
                    json.WriteString("role"u8, "tool"u8);
                    json.WriteString("tool_call_id"u8, result.CallId);
                    json.WriteString("content"u8, result.Content.Count == 0 ? string.Empty : WireJson.JoinText(result.Content, "\n", "messages", "Tool results"));
                    json.WriteEndObject();
                }

                break;
            case ChatRole.Assistant:
                WriteAssistant(json, message);
                break;
            default:
                json.WriteStartObject();
                json.WriteString("role"u8, "user"u8);
                WriteUserContent(json, message.Parts);
                json.WriteEndObject();
                break;
        }
    }

    private static void WriteAssistant(Utf8JsonWriter json, ChatMessage message)
    {
        string? text = null;
        var calls = 0;
        foreach (var part in message.Parts)
        {
            switch (part)
            {
                case TextPart t:
                    text = text is null ? t.Text : text + t.Text;
                    break;
                case ToolCallPart:
                    calls++;
                    break;
                case ThinkingPart:
                    break; // see the class remarks
                default:
                    throw TranslationException.Unsupported("Images in assistant messages", "messages");
            }
        }

        if (text is null && calls == 0)
        {
            return; // only reasoning, which does not go back to a Chat provider
        }

        json.WriteStartObject();
        json.WriteString("role"u8, "assistant"u8);

        if (text is null)
        {
            json.WriteNull("content"u8);
        }
        else
        {
            json.WriteString("content"u8, text);
        }

        if (calls > 0)
        {
            json.WriteStartArray("tool_calls"u8);
            foreach (var part in message.Parts)
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
    }

    private static void WriteUserContent(Utf8JsonWriter json, List<ContentPart> parts)
    {
        if (parts.Count == 1 && parts[0] is TextPart only)
        {
            json.WriteString("content"u8, only.Text);
            return;
        }

        json.WriteStartArray("content"u8);
        foreach (var part in parts)
        {
            json.WriteStartObject();
            switch (part)
            {
                case TextPart text:
                    json.WriteString("type"u8, "text"u8);
                    json.WriteString("text"u8, text.Text);
                    break;
                case ImagePart image:
                    json.WriteString("type"u8, "image_url"u8);
                    json.WriteStartObject("image_url"u8);
                    json.WriteString("url"u8, WireJson.ImageUrl(image));
                    json.WriteEndObject();
                    break;
                default:
                    throw TranslationException.Invalid("A user message holds only text and images.", "messages");
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
