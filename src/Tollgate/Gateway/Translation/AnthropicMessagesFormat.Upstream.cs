using System.Text.Json;
using Tollgate.Gateway.Errors;

namespace Tollgate.Gateway.Translation;

/// <summary>Anthropic Messages requests written for a provider.</summary>
internal sealed partial class AnthropicMessagesFormat
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
        // Anthropic requires max_tokens; the pipeline always supplies the limit it admitted.
        var max = maxOutputTokens ?? turn.MaxOutputTokens ?? throw TranslationException.Invalid("An output limit is required.", "max_tokens");

        // An effort level (OpenAI's reasoning effort, or Anthropic's own adaptive thinking) is sent as
        // adaptive thinking with that effort: current Claude models take only that form. A token budget
        // (a client that sent one) is sent as a budget, which is part of max_tokens and must be below it.
        var (adaptiveEffort, budget) = ReasoningMap.ClaudeThinking(turn.Reasoning, providerModel, max);

        json.WriteStartObject();
        json.WriteString("model"u8, providerModel);
        json.WriteNumber("max_tokens"u8, max);
        if (turn.System.Count > 0)
        {
            json.WriteStartArray("system"u8);
            foreach (var part in turn.System)
            {
                WriteTextBlock(json, part is TextPart t ? t.Text : throw TranslationException.Unsupported("System content other than text", "system"));
            }

            json.WriteEndArray();
        }

        WriteMessages(json, turn.Messages);
        if (turn.Tools.Count > 0)
        {
            json.WriteStartArray("tools"u8);
            foreach (var tool in turn.Tools)
            {
                json.WriteStartObject();
                json.WriteString("name"u8, tool.Name);
                if (tool.Description is not null)
                {
                    json.WriteString("description"u8, tool.Description);
                }

                json.WritePropertyName("input_schema"u8);
                tool.ParametersSchema.WriteTo(json);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        WriteToolChoice(json, turn);
        WireJson.WriteSampling(json, turn, "top_p"u8, "stop_sequences"u8);

        if (budget is { } thinkingBudget)
        {
            json.WriteStartObject("thinking"u8);
            json.WriteString("type"u8, "enabled"u8);
            json.WriteNumber("budget_tokens"u8, thinkingBudget);
            json.WriteEndObject();
        }
        else if (adaptiveEffort is not null)
        {
            json.WriteStartObject("thinking"u8);
            json.WriteString("type"u8, "adaptive"u8);
            json.WriteEndObject();
            json.WriteStartObject("output_config"u8);
            json.WriteString("effort"u8, adaptiveEffort);
            json.WriteEndObject();
        }

        if (turn.Stream)
        {
            json.WriteBoolean("stream"u8, true);
        }

        json.WriteEndObject();
    }

    private static void WriteToolChoice(Utf8JsonWriter json, ChatTurn turn)
    {
        if (turn.Tools.Count == 0 || (turn.ToolChoice is null && turn.ParallelToolCalls is not false))
        {
            return;
        }

        var choice = turn.ToolChoice ?? new ToolChoice(ToolChoiceKind.Auto);
        json.WriteStartObject("tool_choice"u8);
        json.WriteString("type"u8, choice.Kind switch
        {
            ToolChoiceKind.None => "none",
            ToolChoiceKind.Required => "any",
            ToolChoiceKind.Tool => "tool",
            _ => "auto",
        });
        if (choice.Kind == ToolChoiceKind.Tool)
        {
            json.WriteString("name"u8, choice.Name);
        }

        if (turn.ParallelToolCalls is false && choice.Kind != ToolChoiceKind.None)
        {
            json.WriteBoolean("disable_parallel_tool_use"u8, true);
        }

        json.WriteEndObject();
    }

    /// <summary>
    /// Messages alternate user and assistant: tool results and user content that follow each other
    /// share one user turn (results first, as Anthropic requires), and a message left with nothing
    /// to send (only reasoning that cannot go back) is left out.
    /// </summary>
    private static void WriteMessages(Utf8JsonWriter json, List<ChatMessage> messages)
    {
        json.WriteStartArray("messages"u8);
        string? side = null;
        foreach (var message in messages)
        {
            if (!HasSendable(message))
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
                WritePart(json, part);
            }
        }

        if (side is not null)
        {
            json.WriteEndArray();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static bool HasSendable(ChatMessage message)
    {
        foreach (var part in message.Parts)
        {
            if (IsSendable(part))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsSendable(ContentPart part) => part switch
    {
        TextPart t => t.Text.Length > 0, // Anthropic refuses empty text blocks
        ThinkingPart th => ReasoningMap.AnthropicSignature(th.Signature) is not null,
        _ => true,
    };

    private static void WritePart(Utf8JsonWriter json, ContentPart part)
    {
        if (!IsSendable(part))
        {
            return;
        }

        switch (part)
        {
            case TextPart text:
                WriteTextBlock(json, text.Text);
                break;
            case ImagePart image:
                WriteImage(json, image);
                break;
            case ThinkingPart thinking:
                json.WriteStartObject();
                json.WriteString("type"u8, "thinking"u8);
                json.WriteString("thinking"u8, thinking.Text);
                json.WriteString("signature"u8, ReasoningMap.AnthropicSignature(thinking.Signature));
                json.WriteEndObject();
                break;
            case ToolCallPart call:
                json.WriteStartObject();
                json.WriteString("type"u8, "tool_use"u8);
                json.WriteString("id"u8, call.CallId);
                json.WriteString("name"u8, call.Name);
                json.WritePropertyName("input"u8);
                WireJson.WriteRawObject(json, call.ArgumentsJson, "messages");
                json.WriteEndObject();
                break;
            case ToolResultPart result:
                json.WriteStartObject();
                json.WriteString("type"u8, "tool_result"u8);
                json.WriteString("tool_use_id"u8, result.CallId);
                if (result.Content.Count == 1 && result.Content[0] is TextPart only)
                {
                    json.WriteString("content"u8, only.Text);
                }
                else if (result.Content.Count > 0)
                {
                    json.WriteStartArray("content"u8);
                    foreach (var item in result.Content)
                    {
                        if (item is ImagePart img)
                        {
                            WriteImage(json, img);
                        }
                        else if (item is TextPart { Text.Length: > 0 } t)
                        {
                            WriteTextBlock(json, t.Text);
                        }
                    }

                    json.WriteEndArray();
                }

                if (result.IsError)
                {
                    json.WriteBoolean("is_error"u8, true);
                }

                json.WriteEndObject();
                break;
        }
    }

    private static void WriteTextBlock(Utf8JsonWriter json, string text)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, "text"u8);
        json.WriteString("text"u8, text);
        json.WriteEndObject();
    }

    private static void WriteImage(Utf8JsonWriter json, ImagePart image)
    {
        json.WriteStartObject();
        json.WriteString("type"u8, "image"u8);
        json.WriteStartObject("source"u8);
        if (image.Url is not null)
        {
            json.WriteString("type"u8, "url"u8);
            json.WriteString("url"u8, image.Url);
        }
        else
        {
            json.WriteString("type"u8, "base64"u8);
            json.WriteString("media_type"u8, image.MediaType);
            json.WriteString("data"u8, image.Base64Data);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }
}
