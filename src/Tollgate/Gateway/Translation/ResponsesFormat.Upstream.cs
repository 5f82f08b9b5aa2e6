using System.Text.Json;
using Tollgate.Gateway.Errors;

namespace Tollgate.Gateway.Translation;

/// <summary>Responses requests written for a provider.</summary>
internal sealed partial class ResponsesFormat
{
    /// <inheritdoc />
    public (byte[]? Body, GatewayError? Error) WriteRequest(ChatTurn turn, string providerModel, long? maxOutputTokens)
    {
        try
        {
            if (turn.Stop.Count > 0)
            {
                throw TranslationException.Unsupported("Stop sequences (the Responses API has none)", "stop");
            }

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
        if (turn.System.Count > 0)
        {
            json.WriteString("instructions"u8, WireJson.JoinText(turn.System, "\n\n", "system", "System content"));
        }

        json.WriteStartArray("input"u8);
        foreach (var message in turn.Messages)
        {
            switch (message.Role)
            {
                case ChatRole.User:
                    WriteUser(json, message);
                    break;
                case ChatRole.Assistant:
                    WriteAssistant(json, message);
                    break;
                default:
                    WriteResults(json, message);
                    break;
            }
        }

        json.WriteEndArray();
        if (turn.Tools.Count > 0)
        {
            json.WriteStartArray("tools"u8);
            foreach (var tool in turn.Tools)
            {
                json.WriteStartObject();
                json.WriteString("type"u8, "function"u8);
                json.WriteString("name"u8, tool.Name);
                if (tool.Description is not null)
                {
                    json.WriteString("description"u8, tool.Description);
                }

                json.WritePropertyName("parameters"u8);
                tool.ParametersSchema.WriteTo(json);
                // Responses makes functions strict unless told otherwise, which demands schemas in
                // OpenAI's strict subset; the other formats' tools are not strict.
                json.WriteBoolean("strict"u8, false);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (turn.ParallelToolCalls is { } parallel)
            {
                json.WriteBoolean("parallel_tool_calls"u8, parallel);
            }
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
                    json.WriteString("name"u8, choice.Name);
                    json.WriteEndObject();
                    break;
                default:
                    json.WriteStringValue("auto"u8);
                    break;
            }
        }

        if (maxOutputTokens is { } max)
        {
            json.WriteNumber("max_output_tokens"u8, max);
        }

        WireJson.WriteSampling(json, turn, "top_p"u8, default); // stop sequences were refused above

        if (turn.Reasoning is { } reasoning && ReasoningMap.Effort(reasoning) is { } effort)
        {
            json.WriteStartObject("reasoning"u8);
            json.WriteString("effort"u8, effort);
            json.WriteEndObject();
            // The encrypted reasoning comes back in the next turn through clients of any format.
            json.WriteStartArray("include"u8);
            json.WriteStringValue("reasoning.encrypted_content"u8);
            json.WriteEndArray();
        }

        if (turn.Stream)
        {
            json.WriteBoolean("stream"u8, true);
        }

        json.WriteEndObject();
    }

    private static void WriteUser(Utf8JsonWriter json, ChatMessage message)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, "message"u8);
        json.WriteString("role"u8, "user"u8);
        json.WriteStartArray("content"u8);
        foreach (var part in message.Parts)
        {
            WriteInputPart(json, part);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteInputPart(Utf8JsonWriter json, ContentPart part)
    {
        json.WriteStartObject();
        switch (part)
        {
            case TextPart text:
                json.WriteString("type"u8, "input_text"u8);
                json.WriteString("text"u8, text.Text);
                break;
            case ImagePart image:
                json.WriteString("type"u8, "input_image"u8);
                json.WriteString("image_url"u8, WireJson.ImageUrl(image));
                json.WriteString("detail"u8, "auto"u8);
                break;
            default:
                throw TranslationException.Invalid("A user message holds only text and images.", "input");
        }

        json.WriteEndObject();
    }

    /// <summary>An assistant turn as output items in order; consecutive text is one message item.</summary>
    private static void WriteAssistant(Utf8JsonWriter json, ChatMessage message)
    {
        var parts = message.Parts;
        for (var i = 0; i < parts.Count; i++)
        {
            switch (parts[i])
            {
                case TextPart:
                    json.WriteStartObject();
                    json.WriteString("type"u8, "message"u8);
                    json.WriteString("role"u8, "assistant"u8);
                    json.WriteStartArray("content"u8);
                    for (; i < parts.Count && parts[i] is TextPart text; i++)
                    {
                        json.WriteStartObject();
                        json.WriteString("type"u8, "output_text"u8);
                        json.WriteString("text"u8, text.Text);
                        json.WriteStartArray("annotations"u8);
                        json.WriteEndArray();
                        json.WriteEndObject();
                    }

                    i--;
                    json.WriteEndArray();
                    json.WriteEndObject();
                    break;
                case ToolCallPart call:
                    json.WriteStartObject();
                    json.WriteString("type"u8, "function_call"u8);
                    json.WriteString("call_id"u8, call.CallId);
                    json.WriteString("name"u8, call.Name);
                    json.WriteString("arguments"u8, call.ArgumentsJson);
                    json.WriteEndObject();
                    break;
                case ThinkingPart thinking:
                    // Only reasoning OpenAI made goes back to it (see ReasoningMap); other thinking is left out.
                    if (ReasoningMap.OpenAIReasoning(thinking.Signature) is { } item)
                    {
                        json.WriteStartObject();
                        json.WriteString("type"u8, "reasoning"u8);
                        json.WriteString("id"u8, item.Id);
                        json.WriteStartArray("summary"u8);
                        if (thinking.Text.Length > 0)
                        {
                            json.WriteStartObject();
                            json.WriteString("type"u8, "summary_text"u8);
                            json.WriteString("text"u8, thinking.Text);
                            json.WriteEndObject();
                        }

                        json.WriteEndArray();
                        if (item.Encrypted is not null)
                        {
                            json.WriteString("encrypted_content"u8, item.Encrypted);
                        }

                        json.WriteEndObject();
                    }

                    break;
                default:
                    throw TranslationException.Unsupported("Images in assistant messages", "input");
            }
        }
    }

    private static void WriteResults(Utf8JsonWriter json, ChatMessage message)
    {
        foreach (var part in message.Parts)
        {
            if (part is not ToolResultPart result)
            {
                throw TranslationException.Invalid("A tool message holds only tool results.", "input");
            }

            json.WriteStartObject();
            json.WriteString("type"u8, "function_call_output"u8);
            json.WriteString("call_id"u8, result.CallId);
            if (result.Content.TrueForAll(static p => p is TextPart))
            {
                json.WriteString("output"u8, result.Content.Count == 0 ? string.Empty : WireJson.JoinText(result.Content, "\n", "input", "Tool results"));
            }
            else
            {
                json.WriteStartArray("output"u8);
                foreach (var item in result.Content)
                {
                    WriteInputPart(json, item);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        }
    }
}
