using System.Text.Json;
using Tollgate.Gateway.Errors;
using Tollgate.Gateway.Translation;

namespace Tollgate.Providers.Google;

/// <summary>
/// The Gemini <c>generateContent</c> wire format, provider side only (no client speaks it to the
/// gateway): requests written from <see cref="ChatTurn"/> here, answers and errors read in the
/// <c>.Answers</c> part, streams in <see cref="GeminiStreamDecoder"/>. AI Studio and Vertex take the
/// same body; the model and the stream flag live in the URL, not the body.
/// </summary>
/// <remarks>
/// Written: <c>contents</c> (user and <c>model</c> turns; tool results as <c>functionResponse</c> parts of a
/// user turn, named after the call they answer), <c>systemInstruction</c>, <c>tools[].functionDeclarations</c>,
/// <c>toolConfig.functionCallingConfig</c>, <c>generationConfig</c> (<c>maxOutputTokens</c>, <c>temperature</c>,
/// <c>topP</c>, <c>stopSequences</c>, <c>thinkingConfig</c>). Images go inline (<c>inlineData</c>); an image by
/// http URL is refused (Gemini reads only inline bytes or its own file URIs). Earlier turns' thinking is
/// not sent back: Gemini ignores earlier thought text, and a signature from another provider means nothing
/// to it. <c>parallel_tool_calls: false</c> has no Gemini switch and is not carried.
/// </remarks>
internal sealed partial class GeminiFormat : IProviderWireFormat
{
    /// <summary>The format for chat models (stateless).</summary>
    public static readonly GeminiFormat Instance = new(imageOutput: false);

    /// <summary>
    /// The format for a model that answers with images as well as text (catalog kind <c>image</c> reached
    /// through a chat endpoint): the request asks for <c>responseModalities: ["TEXT", "IMAGE"]</c>.
    /// </summary>
    public static readonly GeminiFormat ImageOutput = new(imageOutput: true);

    private readonly bool _imageOutput;

    private GeminiFormat(bool imageOutput) => _imageOutput = imageOutput;

    /// <inheritdoc />
    public (byte[]? Body, GatewayError? Error) WriteRequest(ChatTurn turn, string providerModel, long? maxOutputTokens)
    {
        try
        {
            return (WireJson.Write((turn, maxOutputTokens, _imageOutput), static (json, s) => WriteTurn(json, s.turn, s.maxOutputTokens, s._imageOutput)), null);
        }
        catch (TranslationException e)
        {
            return (null, e.Error);
        }
    }

    private static void WriteTurn(Utf8JsonWriter json, ChatTurn turn, long? maxOutputTokens, bool imageOutput)
    {
        json.WriteStartObject();
        WriteContents(json, turn.Messages);
        if (turn.System.Count > 0)
        {
            json.WriteStartObject("systemInstruction"u8);
            json.WriteStartArray("parts"u8);
            foreach (var part in turn.System)
            {
                json.WriteStartObject();
                json.WriteString("text"u8, part is TextPart t ? t.Text : throw TranslationException.Unsupported("System content other than text", "system"));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        if (turn.Tools.Count > 0)
        {
            json.WriteStartArray("tools"u8);
            json.WriteStartObject();
            json.WriteStartArray("functionDeclarations"u8);
            foreach (var tool in turn.Tools)
            {
                json.WriteStartObject();
                json.WriteString("name"u8, tool.Name);
                if (tool.Description is not null)
                {
                    json.WriteString("description"u8, tool.Description);
                }

                // JSON Schema as given: Gemini reads it from parametersJsonSchema, which (unlike the
                // OpenAPI-subset "parameters") takes the schema the other formats carry.
                json.WritePropertyName("parametersJsonSchema"u8);
                tool.ParametersSchema.WriteTo(json);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            WriteToolConfig(json, turn.ToolChoice);
        }

        WriteGenerationConfig(json, turn, maxOutputTokens ?? turn.MaxOutputTokens, imageOutput);
        json.WriteEndObject();
    }

    private static void WriteToolConfig(Utf8JsonWriter json, ToolChoice? choice)
    {
        if (choice is null)
        {
            return; // Gemini's default is AUTO
        }

        json.WriteStartObject("toolConfig"u8);
        json.WriteStartObject("functionCallingConfig"u8);
        json.WriteString("mode"u8, choice.Kind switch
        {
            ToolChoiceKind.None => "NONE",
            ToolChoiceKind.Required or ToolChoiceKind.Tool => "ANY",
            _ => "AUTO",
        });
        if (choice.Kind == ToolChoiceKind.Tool)
        {
            json.WriteStartArray("allowedFunctionNames"u8);
            json.WriteStringValue(choice.Name);
            json.WriteEndArray();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteGenerationConfig(Utf8JsonWriter json, ChatTurn turn, long? maxOutputTokens, bool imageOutput)
    {
        json.WriteStartObject("generationConfig"u8);
        if (imageOutput)
        {
            // An image model answers with text only unless asked: both modalities, so a chat answer may hold either.
            json.WriteStartArray("responseModalities"u8);
            json.WriteStringValue("TEXT"u8);
            json.WriteStringValue("IMAGE"u8);
            json.WriteEndArray();
        }

        if (maxOutputTokens is { } max)
        {
            json.WriteNumber("maxOutputTokens"u8, max);
        }

        WireJson.WriteSampling(json, turn, "topP"u8, "stopSequences"u8);

        if (turn.Reasoning is { } reasoning)
        {
            // A budget as Anthropic counts it, or the effort's budget (ReasoningMap); effort "none" is
            // thinkingBudget 0, which turns thinking off where the model allows it.
            var budget = ReasoningMap.Budget(reasoning) ?? 0;
            if (maxOutputTokens is { } limit && budget >= limit && reasoning.BudgetTokens is null)
            {
                budget = Math.Max(0, limit - 1); // an effort's budget shrinks to fit the output limit
            }

            json.WriteStartObject("thinkingConfig"u8);
            json.WriteNumber("thinkingBudget"u8, budget);
            if (budget > 0)
            {
                json.WriteBoolean("includeThoughts"u8, true);
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    /// <summary>
    /// Turns alternate <c>user</c> and <c>model</c>: messages of one side that follow each other share a
    /// turn (tool results are a user turn), and a message with nothing Gemini can take is left out.
    /// </summary>
    private static void WriteContents(Utf8JsonWriter json, List<ChatMessage> messages)
    {
        // Tool results name the function they answer: the nearest earlier call with the same id (Gemini's
        // calls often come without ids, and the ids made for them repeat from one answer to the next).
        var callNames = new Dictionary<string, string>(StringComparer.Ordinal);
        json.WriteStartArray("contents"u8);
        string? side = null;
        foreach (var message in messages)
        {
            if (!message.Parts.Exists(IsSendable))
            {
                continue;
            }

            var role = message.Role == ChatRole.Assistant ? "model" : "user";
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
                json.WriteStartArray("parts"u8);
            }

            foreach (var part in message.Parts)
            {
                WritePart(json, part, callNames);
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
        TextPart t => t.Text.Length > 0,
        ThinkingPart => false,
        _ => true,
    };

    private static void WritePart(Utf8JsonWriter json, ContentPart part, Dictionary<string, string> callNames)
    {
        if (!IsSendable(part))
        {
            return;
        }

        switch (part)
        {
            case TextPart text:
                json.WriteStartObject();
                json.WriteString("text"u8, text.Text);
                json.WriteEndObject();
                break;
            case ImagePart image:
                WriteImage(json, image, "messages");
                break;
            case ToolCallPart call:
                callNames[call.CallId] = call.Name;
                var (callId, signature) = SplitCallId(call.CallId);
                json.WriteStartObject();
                json.WriteStartObject("functionCall"u8);
                json.WriteString("id"u8, callId);
                json.WriteString("name"u8, call.Name);
                json.WritePropertyName("args"u8);
                WireJson.WriteRawObject(json, call.ArgumentsJson, "messages");
                json.WriteEndObject();
                if (signature is not null)
                {
                    json.WriteString("thoughtSignature"u8, signature);
                }

                json.WriteEndObject();
                break;
            case ToolResultPart result:
                var name = callNames.GetValueOrDefault(result.CallId)
                    ?? throw TranslationException.Invalid($"The tool result for call '{result.CallId}' follows no call with that id; Gemini needs the function's name.", "messages");
                json.WriteStartObject();
                json.WriteStartObject("functionResponse"u8);
                json.WriteString("id"u8, SplitCallId(result.CallId).Id);
                json.WriteString("name"u8, name);
                json.WriteStartObject("response"u8);

                // Gemini's convention: the function's output under "output", a failure under "error".
                json.WriteString(result.IsError ? "error"u8 : "output"u8, WireJson.JoinText(result.Content, "\n", "messages", "Tool results"));
                json.WriteEndObject();
                json.WriteEndObject();
                json.WriteEndObject();
                break;
        }
    }

    /// <summary>
    /// Separates a call id made by <see cref="ReadPart"/> from the thought signature it carries. Gemini
    /// signs the function calls of a thinking model (<c>thoughtSignature</c> on the call's part) and wants
    /// the signature back with the call in the next request; clients keep only the call's id, so the
    /// signature travels in it, base64url after <see cref="SignatureMark"/> (ids stay within
    /// <c>[A-Za-z0-9_-]</c>, which every client format accepts).
    /// </summary>
    internal static (string Id, string? Signature) SplitCallId(string callId)
    {
        var at = callId.IndexOf(SignatureMark, StringComparison.Ordinal);
        if (at < 0)
        {
            return (callId, null);
        }

        var encoded = callId[(at + SignatureMark.Length)..].Replace('-', '+').Replace('_', '/');
        encoded += (encoded.Length % 4) switch { 2 => "==", 3 => "=", _ => string.Empty };
        return (callId[..at], encoded);
    }

    /// <summary>A call id carrying <paramref name="signature"/> (see <see cref="SplitCallId"/>).</summary>
    internal static string JoinCallId(string id, string? signature) =>
        signature is null ? id : id + SignatureMark + signature.TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private const string SignatureMark = "__gts_";

    private static void WriteImage(Utf8JsonWriter json, ImagePart image, string param)
    {
        var (mediaType, data) = image.Base64Data is not null
            ? (image.MediaType, image.Base64Data)
            : image.Url is not null && WireJson.ParseDataUrl(image.Url, param) is { } inline
                ? (inline.MediaType, inline.Base64)
                : throw TranslationException.Unsupported("An image by URL (Gemini takes images inline, as base64)", param);
        json.WriteStartObject();
        json.WriteStartObject("inlineData"u8);
        json.WriteString("mimeType"u8, mediaType ?? "image/png");
        json.WriteString("data"u8, data);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
